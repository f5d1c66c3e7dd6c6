import { randomBytes } from 'node:crypto';
import { renderInviteEmail } from '../email/render.js';
import { FailureError } from '../errors.js';
import { fileStemFor, type Mailer } from '../mail/mailer.js';
import { generateTempPassword, hashTempPassword, tempPasswordMatches } from '../secrets.js';
import type { OutcomeUpdate, Store } from '../store/store.js';
import type { OutboxMessage, Workspace } from '../store/types.js';
import { addMs, iso } from '../time.js';
import { classifySendError, describeSendError } from './classify.js';

export interface DeliveryDeps {
  store: Store;
  mailer: Mailer;
  now: () => Date;
  workspace: Workspace;
}

/** What rendering one email needs; read from the outbox row, or handed over by the recorder. */
export type MessageToSend = Pick<
  OutboxMessage,
  'id' | 'guestId' | 'sendNumber' | 'messageId' | 'recipient' | 'inviter' | 'customMessage' | 'expiresAt'
> & { guestName: string | null };

/** A message to send. The plaintext password, when known, exists only in this process's memory. */
export interface SendJob {
  outboxId: number;
  tempPassword?: string;
  /** Asked for explicitly (a re-run): send even if its retry time has not come yet. */
  ignoreSchedule?: boolean;
  /** What the recorder knows of the email: spares a read when the message is claimed. */
  message?: MessageToSend;
}

/** A leased message ready to go. */
interface LeasedJob {
  message: MessageToSend;
  tempPassword: string;
}

export type DeliveryOutcome = 'sent' | 'queued' | 'failed' | 'unknown' | 'skipped';

export interface DeliveryResult {
  outboxId: number;
  recipient: string;
  outcome: DeliveryOutcome;
  /** The server's reply, the file written, or why it was not sent. */
  detail: string;
  filePath?: string;
}

export interface DeliveryOptions {
  concurrency: number;
  /** Attempts in this run for transient failures (4xx, connection refused) before leaving it queued. */
  maxAttempts: number;
  /** First backoff; doubles each attempt, with jitter. */
  backoffMs: number;
  retryUnknown?: boolean;
  /** Overall limit for one send; past it the hand-over is in doubt (`unknown`). */
  deadlineMs?: number;
  sleep?: (ms: number) => Promise<void>;
  onResult?: (result: DeliveryResult) => void;
  /** --verbose: one line per attempt (recipient, outcome, the server's reply). Never a message body or credential. */
  log?: (line: string) => void;
}

/** Long enough for the in-run retries; a sender that dies leaves it to expire into `unknown`. */
const LEASE_MS = 3 * 60_000;
/**
 * Messages are leased a few at a time, just before they are sent: a killed process leaves at
 * most this many leased (they expire into `unknown`); the rest stay queued for the next flush.
 */
const CLAIM_AHEAD_PER_WORKER = 4;
/**
 * Outcomes are written as soon as the event loop is free: every reply that arrived in the same
 * turn shares one commit, yet a kill finds at most the in-flight messages unrecorded.
 */
const OUTCOME_BATCH = 200;

function backoffDelay(baseMs: number, attempt: number): number {
  const ceiling = baseMs * 2 ** Math.max(0, attempt - 1);
  // "Equal jitter": half fixed, half random, so concurrent senders spread out.
  return Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Sends leased outbox messages through a pool of workers. Leases are taken in IMMEDIATE
 * transactions before any SMTP traffic; the network call runs outside any transaction;
 * outcomes are recorded afterwards, in batches, only where the lease is still ours.
 */
export class Deliverer {
  readonly owner = randomBytes(8).toString('hex');
  private readonly waiting: SendJob[] = [];
  private readonly ready: LeasedJob[] = [];
  private readonly pendingOutcomes: { update: OutcomeUpdate; result: DeliveryResult }[] = [];
  private readonly results: DeliveryResult[] = [];
  private flushTimer?: NodeJS.Immediate;
  private workers = 0;
  private idleWaiters: (() => void)[] = [];
  private fatal?: FailureError;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(
    private readonly deps: DeliveryDeps,
    private readonly options: DeliveryOptions,
  ) {
    this.sleep = options.sleep ?? defaultSleep;
  }

  leaseUntil(now: Date): string {
    return iso(addMs(now, LEASE_MS));
  }

  /** Messages handed to this deliverer and not yet finished. */
  get backlog(): number {
    return this.waiting.length + this.ready.length + this.workers;
  }

  get stopped(): boolean {
    return this.fatal !== undefined;
  }

  /** Queues messages (recorded and committed already); they are leased only just before sending. */
  submit(jobs: readonly SendJob[]): void {
    for (const job of jobs) this.waiting.push(job);
    while (this.workers < this.options.concurrency && this.workers < this.backlog && !this.fatal) {
      this.workers++;
      void this.work();
    }
  }

  /**
   * Leases the next few waiting messages in one IMMEDIATE transaction. A message whose plaintext
   * is not in this process's memory, or whose password was replaced meanwhile (another sender
   * retried it), gets a fresh one here.
   */
  private claimNext(): void {
    const batch = this.waiting.splice(0, this.options.concurrency * CLAIM_AHEAD_PER_WORKER);
    if (batch.length === 0) return;
    const { store, workspace } = this.deps;
    const now = this.deps.now();
    const at = iso(now);
    const leaseUntil = this.leaseUntil(now);
    const skipped: DeliveryResult[] = [];
    store.write(() => {
      for (const job of batch) {
        if (job.message && job.tempPassword !== undefined && store.claimFreshOutboxMessage(job.outboxId, this.owner, leaseUntil)) {
          this.ready.push({ message: job.message, tempPassword: job.tempPassword });
          continue;
        }
        const message = store.claimOutboxMessage(job.outboxId, this.owner, at, leaseUntil, {
          retryUnknown: this.options.retryUnknown,
          ignoreSchedule: job.ignoreSchedule,
        });
        if (!message) {
          const current = store.getOutboxMessage(job.outboxId);
          skipped.push({
            outboxId: job.outboxId,
            recipient: current?.recipient ?? '?',
            outcome: 'skipped',
            detail: !current
              ? 'no such message'
              : current.state === 'queued'
                ? 'not due yet'
                : current.state === 'sending'
                  ? 'another cerby-guests process is sending it'
                  : `already ${current.state}`,
          });
          continue;
        }
        const guest = store.getGuest(message.guestId)!;
        if (guest.status !== 'pending' || guest.sendCount !== message.sendNumber) {
          const reason = guest.status !== 'pending' ? `not sent: the guest is ${guest.status}` : 'not sent: superseded by a newer invite';
          store.finishOutboxMessage(message.id, this.owner, { state: 'failed', at, error: reason });
          skipped.push({ outboxId: message.id, recipient: message.recipient, outcome: 'skipped', detail: reason });
          continue;
        }
        let tempPassword = job.tempPassword;
        const hashes = store.tempPasswordHashes(guest.id).filter((h) => h.sendNumber === message.sendNumber);
        if (tempPassword === undefined || !hashes.some((h) => tempPasswordMatches(workspace.hmacKey, tempPassword!, h.hash))) {
          // A queued message was never handed over, so its password can be replaced. After an
          // `unknown` send the old one may be in the guest's inbox, so it stays valid too.
          tempPassword = generateTempPassword();
          const hash = hashTempPassword(workspace.hmacKey, tempPassword);
          if (message.state === 'unknown') store.addTempPasswordHash(guest.id, message.sendNumber, hash, at);
          else store.replaceTempPasswordHash(guest.id, message.sendNumber, hash, at);
        }
        this.ready.push({ message: { ...message, guestName: guest.name }, tempPassword });
      }
    });
    for (const result of skipped) this.report(result);
  }

  /** Resolves when the backlog is at or below `limit`: lets a producer pace itself. */
  async waitForBacklog(limit: number): Promise<void> {
    while (this.backlog > limit && !this.fatal) {
      await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    }
  }

  /** Waits for every submitted job, records the last outcomes, releases unsent leases. */
  async finish(): Promise<DeliveryResult[]> {
    while (this.workers > 0) await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    this.flushOutcomes();
    // Stopped early (fatal error): leased but untried messages go back to the queue; waiting ones never left it.
    const unsent = this.ready.splice(0);
    if (unsent.length) this.deps.store.releaseLeases(unsent.map((j) => j.message.id), this.owner);
    for (const job of unsent) {
      this.report({ outboxId: job.message.id, recipient: job.message.recipient, outcome: 'queued', detail: 'not sent: the run stopped' });
    }
    for (const job of this.waiting.splice(0)) {
      this.report({ outboxId: job.outboxId, recipient: '?', outcome: 'queued', detail: 'not sent: the run stopped' });
    }
    if (this.fatal) throw this.fatal;
    return this.results;
  }

  private report(result: DeliveryResult): void {
    this.results.push(result);
    this.options.onResult?.(result);
  }

  private wake(): void {
    const waiters = this.idleWaiters.splice(0);
    for (const resolve of waiters) resolve();
  }

  private nextJob(): LeasedJob | undefined {
    if (this.fatal) return undefined;
    if (this.ready.length === 0) this.claimNext();
    while (this.ready.length === 0 && this.waiting.length > 0) this.claimNext();
    return this.ready.shift();
  }

  private async work(): Promise<void> {
    try {
      for (let job = this.nextJob(); job; job = this.nextJob()) {
        await this.sendOne(job);
        this.wake();
      }
    } finally {
      this.workers--;
      this.wake();
    }
  }

  private record(update: OutcomeUpdate, result: DeliveryResult): void {
    this.pendingOutcomes.push({ update, result });
    if (this.pendingOutcomes.length >= OUTCOME_BATCH) this.flushOutcomes();
    else this.flushTimer ??= setImmediate(() => this.flushOutcomes());
  }

  private flushOutcomes(): void {
    if (this.flushTimer) clearImmediate(this.flushTimer);
    this.flushTimer = undefined;
    if (this.pendingOutcomes.length === 0) return;
    const batch = this.pendingOutcomes.splice(0);
    const { store } = this.deps;
    const lost: DeliveryResult[] = [];
    // Not fsynced: a lost outcome reads as `unknown` after the lease, never as unsent.
    store.writeRelaxed(() => {
      for (const { update, result } of batch) {
        if (!store.finishOutboxMessage(update.id, this.owner, update)) {
          // Our lease ran out and another process recorded the message as unknown: say so.
          lost.push({ ...result, outcome: 'unknown', detail: `${result.detail} (the lease expired before the outcome was recorded)` });
        }
      }
    });
    // Reported only once stored: a result on screen is a result on disk.
    for (const { result } of batch) {
      const replaced = lost.find((l) => l.outboxId === result.outboxId);
      this.report(replaced ?? result);
    }
  }

  /** The mailer's send, bounded by the overall deadline. */
  private async sendWithDeadline(email: ReturnType<typeof renderFor>, stem: string) {
    const deadlineMs = this.options.deadlineMs;
    if (!deadlineMs) return this.deps.mailer.send(email, stem);
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(
        () => reject(Object.assign(new Error(`no answer from the SMTP server within ${Math.round(deadlineMs / 1000)} s`), { deadline: true })),
        deadlineMs,
      );
    });
    try {
      return await Promise.race([this.deps.mailer.send(email, stem), deadline]);
    } finally {
      clearTimeout(timer);
    }
  }

  private async sendOne(job: LeasedJob): Promise<void> {
    const { message } = job;
    const email = renderFor(this.deps.workspace, message, job.tempPassword);
    const base = { outboxId: message.id, recipient: message.recipient };
    for (let attempt = 1; ; attempt++) {
      try {
        const receipt = await this.sendWithDeadline(email, fileStemFor(message.recipient, message.id));
        this.options.log?.(`attempt ${attempt} to ${message.recipient} (${message.messageId}): sent: ${receipt.response}`);
        this.record(
          {
            id: message.id,
            state: 'sent',
            at: iso(this.deps.now()),
            smtpResponse: receipt.response,
            filePath: receipt.filePath ?? null,
            extraAttempts: attempt - 1,
          },
          { ...base, outcome: 'sent', detail: receipt.response, filePath: receipt.filePath },
        );
        return;
      } catch (error) {
        const kind = classifySendError(error);
        const text = describeSendError(error);
        const at = this.deps.now();
        const extraAttempts = attempt - 1;
        this.options.log?.(`attempt ${attempt} to ${message.recipient} (${message.messageId}): ${kind}: ${text}`);
        if (kind === 'permanent' || kind === 'unknown') {
          const state = kind === 'permanent' ? 'failed' : 'unknown';
          this.record(
            { id: message.id, state, at: iso(at), error: text, smtpResponse: kind === 'permanent' ? text : null, extraAttempts },
            { ...base, outcome: state, detail: text },
          );
          return;
        }
        // Transient or fatal: nothing was handed over, so it goes back to the queue.
        if (kind === 'fatal') {
          this.fatal ??= new FailureError(`SMTP ${this.deps.mailer.description}: ${text}`);
          this.record({ id: message.id, state: 'queued', at: iso(at), error: text, nextAttemptAt: iso(at), extraAttempts }, { ...base, outcome: 'queued', detail: text });
          return;
        }
        const delay = backoffDelay(this.options.backoffMs, attempt);
        if (attempt >= this.options.maxAttempts || this.fatal) {
          this.record(
            { id: message.id, state: 'queued', at: iso(at), error: text, nextAttemptAt: iso(addMs(at, delay)), extraAttempts },
            { ...base, outcome: 'queued', detail: text },
          );
          return;
        }
        await this.sleep(delay);
      }
    }
  }
}

/** Claims the given outbox rows and sends them: `outbox flush`. */
export async function deliverOutbox(deps: DeliveryDeps, ids: readonly number[], options: DeliveryOptions): Promise<DeliveryResult[]> {
  const deliverer = new Deliverer(deps, options);
  deliverer.submit(ids.map((outboxId) => ({ outboxId })));
  return deliverer.finish();
}

export function renderFor(workspace: Workspace, message: MessageToSend, tempPassword: string) {
  return renderInviteEmail({
    workspaceName: workspace.name,
    signInUrl: workspace.signInUrl,
    sender: workspace.sender,
    recipient: message.recipient,
    guestName: message.guestName,
    tempPassword,
    inviter: message.inviter,
    customMessage: message.customMessage,
    expiresAt: message.expiresAt,
    messageId: message.messageId,
    inviteToken: `${message.guestId}.${message.sendNumber}`,
  });
}
