import type { App } from '../app.js';
import { Deliverer, MailerFailure, type SendJob } from '../delivery/deliver.js';
import { iso } from '../time.js';
import { FailureError } from '../errors.js';
import type { Workspace } from '../store/types.js';
import { displayText } from '../validate.js';
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
}

export function countOutcomes(results: readonly AddressResult[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of results) counts[r.outcome] = (counts[r.outcome] ?? 0) + 1;
  return counts;
}

/**
 * Delivery for a run of invites or resends: sends recorded emails once their transaction has
 * committed, and folds each delivery into its address's result.
 */
export class RunDelivery {
  private readonly deliverer: Deliverer;
  private readonly mailerKind: 'smtp' | 'folder';
  private readonly byId = new Map<number, AddressResult>();
  private pending: SendJob[] = [];

  private constructor(
    app: App,
    workspace: Workspace,
    concurrency: number,
    onDelivered?: (result: AddressResult) => void,
  ) {
    const mailer = app.mailer(concurrency);
    this.mailerKind = mailer.kind;
    this.deliverer = new Deliverer(
      { store: app.store(), mailer, now: app.now, workspace },
      {
        ...app.deliveryOptions(concurrency),
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
  static begin(app: App, workspace: Workspace, concurrency: number, onDelivered?: (result: AddressResult) => void): RunDelivery {
    const store = app.store();
    const now = iso(app.now());
    store.write(() => store.outbox.recoverAbandonedLeases(now, 'cerby-guests'));
    return new RunDelivery(app, workspace, concurrency, onDelivered);
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

  async finish(): Promise<void> {
    this.submit();
    try {
      await this.deliverer.finish();
    } catch (error) {
      if (error instanceof MailerFailure) {
        const fix = this.mailerKind === 'smtp' ? 'fix the SMTP settings' : 'fix the outbox folder';
        throw new FailureError(`${error.message}; the invites are saved and queued: ${fix}, then run \`cerby-guests outbox flush\``);
      }
      throw error;
    }
  }

}

/**
 * One stderr line per address, then the exit code (SPEC §9): 0 when all were done or had
 * nothing to do, 2 when nothing could be done because of the input, 1 when delivery failed,
 * 3 when a run over several addresses was partly done.
 */
export function reportResults(app: App, report: RunReport): number {
  const c = app.colorErr;
  for (const r of report.results) {
    switch (r.outcome) {
      case 'invited':
      case 'resent': {
        const verb = r.outcome === 'invited' ? 'Invite' : 'New invite';
        if (r.delivery === 'sent') {
          app.success(r.file ? `${verb} for ${r.email} written to ${r.file} (no SMTP configured)` : `${verb} sent to ${r.email}`);
        } else {
          app.io.stderr.write(
            `${c.red('✗')} ${verb} for ${r.email} saved but not sent (delivery ${r.delivery ?? 'queued'}): ${r.reason ?? 'unknown reason'}\n`,
          );
        }
        break;
      }
      case 'revoked':
        app.success(
          r.wasJoined
            ? `Revoked ${r.email}: their access ended and their trusted devices were dropped`
            : `Revoked the invite of ${r.email}: its temporary password no longer works`,
        );
        if (r.onTheirWay) {
          app.warn(
            `${r.onTheirWay === 1 ? '1 email was' : `${r.onTheirWay} emails were`} already on its way to ${r.email}: it may still arrive, but its password does not work`,
          );
        }
        break;
      case 'would-invite':
      case 'would-resend':
      case 'would-revoke':
        app.info(`${c.cyan('·')} would ${r.outcome.slice(6)} ${r.email}${r.reason ? ` (${r.reason})` : ''}`);
        break;
      case 'skipped':
        app.info(`${c.yellow('-')} skipped ${r.email}: ${r.reason}`);
        break;
      case 'failed':
        app.io.stderr.write(`${c.red('✗')} ${displayText(r.email)}: ${r.reason}\n`);
        break;
    }
  }
  const queued = report.results.filter((r) => r.delivery === 'queued').length;
  if (queued > 0) app.info(`${queued} invite(s) are saved and queued: run \`cerby-guests outbox flush\` to send them`);
  if (app.json) app.io.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  if (report.dryRun) app.info('dry run: nothing was stored or sent');
  return exitCodeFor(report.results);
}

export function exitCodeFor(results: readonly AddressResult[]): number {
  const refused = results.filter((r) => r.outcome === 'failed').length;
  const undelivered = results.filter((r) => (r.outcome === 'invited' || r.outcome === 'resent') && r.delivery !== 'sent').length;
  const bad = refused + undelivered;
  if (bad === 0) return 0;
  if (bad === results.length) return undelivered > 0 ? 1 : 2;
  return 3;
}
