import { Deliverer, MailerFailure, ownerProcess, ServerUnreachable, type DeliveryOptions, type SendJob } from '../delivery/deliver.js';
import type { Processes } from '../deps.js';
import type { Mailer } from '../mail/mailer.js';
import type { Store } from '../store/store.js';
import { iso } from '../time.js';
import { FailureError, Interrupted } from '../errors.js';
import type { Workspace } from '../store/types.js';
import type { RecordedSend } from './record.js';

/** What happened to one address in an invite, resend or revoke run. */
export interface AddressResult {
  email: string;
  outcome: 'invited' | 'resent' | 'revoked' | 'skipped' | 'failed' | 'would-invite' | 'would-resend' | 'would-revoke';
  /** Why it was skipped or failed, or what the server said. */
  reason?: string;
  delivery?: 'sent' | 'queued' | 'failed' | 'unknown';
  file?: string;
  expiresAt?: string;
  /** revoke: the guest had joined (their access ended). */
  wasJoined?: boolean;
  /** revoke: emails already in their SMTP transaction, which may still arrive (with a dead password). */
  onTheirWay?: number;
  /** A failure that is not the input's fault (the guest changed while the run worked): run again. */
  notDone?: boolean;
}

export interface RunReport {
  dryRun: boolean;
  results: AddressResult[];
  counts: Record<string, number>;
  /** The command that sends what this run left queued. */
  next?: string;
  /** Why sending stopped early (the SMTP server is down). */
  stopped?: string;
}

export function countOutcomes(results: readonly AddressResult[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of results) counts[r.outcome] = (counts[r.outcome] ?? 0) + 1;
  return counts;
}

/** What a run's delivery takes from the invocation (the Factory). */
export interface DeliveryHost {
  store(): Promise<Store>;
  mailer(concurrency: number): Mailer;
  now: () => Date;
  deliveryOptions(concurrency: number): DeliveryOptions;
  /** A command to suggest, with the global flags this run was given. */
  hint(command: string, overrides?: { smtp?: string }): string;
  processes?: Processes;
  interruptible(stop: (interruption: Interrupted) => void): () => void;
}

/**
 * Delivery for a run of invites or resends: sends recorded emails once their transaction has
 * committed, and folds each delivery into its address's result.
 */
export class RunDelivery {
  private readonly deliverer: Deliverer;
  private readonly mailerKind: 'smtp' | 'folder';

  /** Where the emails this run records must go. */
  get route(): 'smtp' | 'folder' {
    return this.mailerKind;
  }
  private readonly byId = new Map<number, AddressResult>();
  private pending: SendJob[] = [];
  private readonly unlisten: () => void;

  private constructor(
    private readonly host: DeliveryHost,
    store: Store,
    workspace: Workspace,
    concurrency: number,
    onDelivered?: (result: AddressResult) => void,
  ) {
    const mailer = host.mailer(concurrency);
    this.mailerKind = mailer.kind;
    // A signal stops the run cleanly: nothing more is leased, what is in flight finishes.
    this.unlisten = host.interruptible((interruption) => {
      this.deliverer.stop(interruption);
      this.submit();
    });
    this.deliverer = new Deliverer(
      { store, mailer, now: host.now, workspace, processIdentity: host.processes?.self },
      {
        ...host.deliveryOptions(concurrency),
        onResult: (d) => {
          const result = this.byId.get(d.outboxId);
          if (!result) return;
          this.byId.delete(d.outboxId);
          if (d.outcome === 'skipped') {
            // Another process sends it, or the guest changed meanwhile: not this run's failure.
            result.outcome = 'skipped';
            result.reason = d.detail;
          } else {
            result.delivery = d.outcome;
            if (d.filePath) result.file = d.filePath;
            if (d.outcome !== 'sent') result.reason = d.detail;
          }
          onDelivered?.(result);
        },
      },
    );
  }

  /**
   * A run's delivery, after settling leases that a stopped process left behind (back to the
   * queue if nothing had started, else `unknown`), so a re-run picks up what that one did not send.
   */
  static async begin(app: DeliveryHost, workspace: Workspace, concurrency: number, onDelivered?: (result: AddressResult) => void): Promise<RunDelivery> {
    const store = await app.store();
    const now = iso(app.now());
    await store.write((tx) => tx.outbox.recoverAbandonedLeases(now, 'cerby-guests', (owner) => app.processes?.alive(ownerProcess(owner))));
    return new RunDelivery(app, store, workspace, concurrency, onDelivered);
  }

  /** Remembers a recorded email; it is sent after `submit()`, i.e. once its transaction committed. */
  track(recorded: RecordedSend, result: AddressResult): void {
    this.byId.set(recorded.outboxId, result);
    this.pending.push({ outboxId: recorded.outboxId, tempPassword: recorded.tempPassword, message: recorded.message });
  }

  /** An email recorded by an earlier run and never sent: its password is made anew when it is leased. */
  trackQueued(outboxId: number, result: AddressResult): void {
    this.byId.set(outboxId, result);
    this.pending.push({ outboxId, ignoreSchedule: true });
  }

  submit(): void {
    const jobs = this.pending;
    this.pending = [];
    this.deliverer.submit(jobs);
  }

  get backlog(): number {
    return this.deliverer.backlog;
  }

  get stopped(): boolean {
    return this.deliverer.stopped;
  }

  waitForBacklog(limit: number): Promise<void> {
    return this.deliverer.waitForBacklog(limit);
  }

  /** The recorder failed (disk full…): stop sending, settle what is in flight; `finish()` throws. */
  stop(error: unknown): void {
    this.pending = [];
    this.deliverer.stop(error);
  }

  /** Why the run stopped sending (the server is down, a signal), when it did: the rest is queued. */
  stopReason?: string;

  async finish(): Promise<void> {
    this.submit();
    try {
      await this.deliverer.finish();
      this.unlisten();
    } catch (error) {
      this.unlisten();
      // A server that is down, or a signal, is no error of the run's: its invites wait in the
      // queue, each says so, and the summary is printed (a signal sets the exit code).
      if (error instanceof ServerUnreachable || error instanceof Interrupted) {
        this.stopReason = error.message;
        return;
      }
      if (error instanceof MailerFailure) {
        const fix = this.mailerKind === 'smtp' ? 'fix the SMTP settings' : 'fix the outbox folder';
        throw new FailureError(`${error.message}; the invites are saved and queued: ${fix}, then run \`${this.host.hint('outbox flush', { smtp: error.suggestedUrl })}\``);
      }
      throw error;
    }
  }

}
