import { randomBytes } from 'node:crypto';
import { renderInviteEmail, type RenderedEmail } from '../email/render.js';
import { FailureError, Interrupted } from '../errors.js';
import { fileStemFor, gateOpen, type Gate, type Mailer, type SendReceipt } from '../mail/mailer.js';
import { generateTempPassword, hashTempPassword, tempPasswordMatches } from '../crypto/temp-password.js';
import type { Outcome } from '../store/outbox.js';
import type { Store } from '../store/store.js';
import type { OutboxMessage, Workspace } from '../store/types.js';
import { addMs, iso } from '../time.js';
import { classifySendError, describeSendError, isConnectionFailure, isSlowDown } from './classify.js';
import { storeFailure } from '../store/errors.js';

export interface DeliveryDeps {
  store: Store;
  mailer: Mailer;
  now: () => Date;
  workspace: Workspace;
  /** This process (`host/pid/start`): its leases name it, so another run can tell it is gone. */
  processIdentity?: string;
}

/** A lease owner is `host/pid/start/random`: the process part, for a liveness check. */
export function ownerProcess(owner: string): string {
  return owner.slice(0, owner.lastIndexOf('/'));
}

/** What rendering one email needs; read from the outbox row, or handed over by the recorder. */
export type MessageToSend = Pick<
  OutboxMessage,
  'id' | 'guestId' | 'sendNumber' | 'messageId' | 'recipient' | 'inviter' | 'customMessage' | 'expiresAt' | 'linkToken'
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

/** The mailer cannot send at all (authentication, TLS, an unusable outbox folder): every message would fail alike. */
export class MailerFailure extends FailureError {
  /** The SMTP URL that would work, when the failure was a scheme mix-up: the hint uses it. */
  suggestedUrl?: string;
}

/** The server is down (connections refused or dropped): the run stops, everything stays queued. */
export class ServerUnreachable extends MailerFailure {}

/** A leased message ready to go. */
interface LeasedJob {
  message: MessageToSend;
  tempPassword: string;
}

/** A leased message with its email, next in line on a connection. */
interface ReadyJob {
  job: LeasedJob;
  email: RenderedEmail;
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
  /** Overall limit for one send; past it the hand-over is in doubt (`unknown`). */
  deadlineMs?: number;
  sleep?: (ms: number) => Promise<void>;
  /** At most this many messages a second (`--rate`, `smtp-rate`); unlimited when absent. */
  ratePerSecond?: number;
  /** A monotonic clock in ms (pacing, back-off); from the dependencies. */
  monotonic?: () => number;
  /** Each outcome once stored. When given, outcomes are not also kept in `results` (a million-row run). */
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
 * Outcomes are written with the next hand-over mark (see `flushSoon`), or as soon as the event
 * loop is free: every reply that arrived meanwhile shares one commit, yet a kill finds at most
 * the in-flight messages unrecorded. At most this many wait.
 */
const OUTCOME_BATCH = 200;

function backoffDelay(baseMs: number, attempt: number): number {
  const ceiling = baseMs * 2 ** Math.max(0, attempt - 1);
  // "Equal jitter": half fixed, half random, so concurrent senders spread out.
  return Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Connection failures in a row (refused, reset, no greeting) after which the server counts as down. */
const UNREACHABLE_AFTER = 3;

/**
 * Sends leased outbox messages through a pool of workers. Leases are committed before any SMTP
 * traffic, and each message's hand-over mark before anything of it reaches the server; the
 * network call runs outside any transaction; outcomes are recorded afterwards, in batches, only
 * where the lease is still ours.
 */
export class Deliverer {
  readonly owner: string;
  private readonly waiting: SendJob[] = [];
  private readonly ready: LeasedJob[] = [];
  private readonly pendingOutcomes: { id: number; outcome: Outcome; result: DeliveryResult }[] = [];
  /** Every result reported so far, in order (what `finish()` returns). */
  readonly results: DeliveryResult[] = [];
  private flushTimer?: NodeJS.Immediate;
  /** Hand-over marks asked for and not yet in a commit, each with its worker waiting. */
  private readonly marksWaiting: { id: number; at: string; held: (held: boolean) => void; failed: (error: unknown) => void }[] = [];
  /** The commit of outcomes and marks under way: one at a time; whatever comes meanwhile goes in the next. */
  private settling?: Promise<void>;
  /** The lease transaction under way, if any, and how many jobs it takes. */
  private claiming?: Promise<void>;
  private beingLeased = 0;
  private workers = 0;
  /** Sends posted whose gate no connection has asked yet (each will, or end without it). */
  private untaken = 0;
  private idleWaiters: (() => void)[] = [];
  private fatal?: FailureError;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly monotonic: () => number;
  /** Connection failures in a row, across workers: enough of them and the server is down. */
  private connectionFailures = 0;
  /** "Slow down" replies in a row; every worker waits until `pauseUntil`. */
  private slowDowns = 0;
  private pauseUntil = 0;
  /** The next moment a message may start, under the rate limit. */
  private nextSlot = 0;

  constructor(
    private readonly deps: DeliveryDeps,
    private readonly options: DeliveryOptions,
  ) {
    this.owner = `${deps.processIdentity ?? 'unknown'}/${randomBytes(8).toString('hex')}`;
    this.sleep = options.sleep ?? defaultSleep;
    this.monotonic = options.monotonic ?? (() => 0);
  }

  leaseUntil(now: Date): string {
    return iso(addMs(now, LEASE_MS));
  }

  /** Messages handed to this deliverer and not yet finished. */
  get backlog(): number {
    return this.waiting.length + this.beingLeased + this.ready.length + this.workers;
  }

  get stopped(): boolean {
    return this.fatal !== undefined;
  }

  /** Queues messages (recorded and committed already); they are leased only just before sending. */
  submit(jobs: readonly SendJob[]): void {
    for (const job of jobs) this.waiting.push(job);
    this.startWorkers();
  }

  /**
   * A worker per connection, two with a mailer that queues ahead: each connection then has its
   * next email composed and waiting, and starts it the moment the one before is answered
   * (10,000 emails: the main thread's round trip left all four connections idle ~1 s a run).
   */
  private get workerLimit(): number {
    // Under a rate limit each email starts in its slot: one waiting in the pool would start late, then in a burst.
    const rate = this.options.ratePerSecond;
    const ahead = this.deps.mailer.queuesAhead === true && (rate === undefined || !Number.isFinite(rate));
    return this.options.concurrency * (ahead ? 2 : 1);
  }

  /** As many workers as the concurrency and the backlog call for, unless the run has stopped. */
  private startWorkers(): void {
    while (this.workers < this.workerLimit && this.workers < this.backlog && !this.fatal) {
      this.workers++;
      void this.work();
    }
  }

  /**
   * Leases the next few waiting messages: this run's new emails in one statement, any others in
   * one transaction. A message whose plaintext is not in this process's memory, or whose
   * password was replaced meanwhile (another sender retried it), gets a fresh one here.
   */
  private async claimNext(): Promise<void> {
    const batch = this.waiting.splice(0, this.options.concurrency * CLAIM_AHEAD_PER_WORKER);
    if (batch.length === 0) return;
    this.beingLeased = batch.length;
    const { store, workspace } = this.deps;
    const now = this.deps.now();
    const at = iso(now);
    const leaseUntil = this.leaseUntil(now);
    const skipped: DeliveryResult[] = [];
    // Ready only once the leases are committed.
    const claimed: LeasedJob[] = [];
    const owner = this.owner;
    // Not fsynced: in WAL mode a killed process loses no commit; a power cut could lose a lease,
    // and with it every later mark (the log is lost from the end), so the message reads as queued.
    try {
      // The common case, recorded by this run and untouched since: leased together, in one
      // statement of its own (on PostgreSQL one round trip, skipping what another sender holds).
      const candidates = batch.filter((job) => job.message && job.tempPassword !== undefined).map((job) => job.outboxId);
      const fresh = candidates.length ? await store.write((tx) => tx.outbox.leaseFresh(candidates, { owner, leaseUntil, at }), { relaxed: true, single: true }) : new Set<number>();
      for (const job of batch) if (fresh.has(job.outboxId)) claimed.push({ message: job.message!, tempPassword: job.tempPassword! });
      const rest = batch.filter((job) => !fresh.has(job.outboxId));
      if (rest.length) await store.writeRelaxed(async (tx) => {
        // Only what no other sender is taking right now (on PostgreSQL; SQLite: all of them).
        const lockable = await tx.outbox.lockable(rest.map((job) => job.outboxId));
        for (const job of rest) {
          if (!lockable.has(job.outboxId) || !(await tx.outbox.lease(job.outboxId, { owner, leaseUntil, at, ignoreSchedule: job.ignoreSchedule === true }))) {
            const current = await tx.outbox.get(job.outboxId);
            skipped.push(
              !current
                ? { outboxId: job.outboxId, recipient: '?', outcome: 'skipped', detail: 'no such message' }
                : await this.notSent(
                    tx,
                    current,
                    current.state === 'queued' && lockable.has(job.outboxId)
                      ? 'not due yet'
                      : current.state === 'sending' || current.state === 'queued'
                        ? 'another cerby-guests process is sending it'
                        : (current.lastError ?? `already ${current.state}`),
                  ),
            );
            continue;
          }
          const message = (await tx.outbox.get(job.outboxId))!;
          const guest = (await tx.guests.get(message.guestId))!;
          if (guest.status !== 'pending' || guest.sendCount !== message.sendNumber) {
            const reason = guest.status !== 'pending' ? `not sent: the guest is ${guest.status}` : 'not sent: superseded by a newer invite';
            await tx.outbox.cancel(message.id, 'sending', { at, actor: owner, reason });
            skipped.push(await this.notSent(tx, message, reason));
            continue;
          }
          let tempPassword = job.tempPassword;
          const hashes = (await tx.credentials.tempPasswordHashes(guest.id)).filter((h) => h.sendNumber === message.sendNumber);
          if (tempPassword === undefined || !hashes.some((h) => tempPasswordMatches(workspace.hmacKey, tempPassword!, h.hash))) {
            // A message never handed over can take a new password. After an `unknown` send the
            // old one may be in the guest's inbox, so it stays valid too.
            tempPassword = generateTempPassword();
            const hash = hashTempPassword(workspace.hmacKey, tempPassword);
            if (message.inDoubt) await tx.credentials.addTempPasswordHash(guest.id, message.sendNumber, hash, at);
            else await tx.credentials.replaceTempPasswordHash(guest.id, message.sendNumber, hash, at);
          }
          claimed.push({ message: { ...message, guestName: guest.name }, tempPassword });
        }
      });
    } finally {
      this.beingLeased = 0;
    }
    this.ready.push(...claimed);
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
    await this.flushOutcomes();
    // Stopped early (fatal error): leased but untried messages go back to the queue; waiting ones never left it.
    const unsent = this.ready.splice(0);
    if (unsent.length) await this.releaseUnsent(unsent.map((j) => j.message.id));
    for (const job of unsent) {
      this.report({ outboxId: job.message.id, recipient: job.message.recipient, outcome: 'queued', detail: 'not sent: the run stopped' });
    }
    for (const job of this.waiting.splice(0)) {
      this.report({ outboxId: job.outboxId, recipient: '?', outcome: 'queued', detail: 'not sent: the run stopped' });
    }
    if (this.fatal) throw this.fatal;
    return this.results;
  }

  /**
   * Stops the run from outside (the recorder met an error): nothing more is leased; messages
   * in flight finish and are recorded; `finish()` then releases the rest and throws `error`.
   */
  stop(error: unknown): void {
    this.fail(error);
  }

  /** Gives leases back, no attempt made. If the store cannot take even that, their leases run out and the next run recovers them. */
  private async releaseUnsent(ids: number[]): Promise<void> {
    const { store } = this.deps;
    const at = iso(this.deps.now());
    try {
      await store.write(async (tx) => {
        for (const id of ids) await tx.outbox.finish(id, this.owner, { event: 'release', at, extraAttempts: -1 });
      });
    } catch (error) {
      this.fail(error);
    }
  }

  /** The first fatal error stops the run; a store error (disk full…) becomes one clear line. */
  private fail(error: unknown): void {
    this.fatal ??= error instanceof FailureError ? error : storeFailure(error);
  }

  private report(result: DeliveryResult): void {
    if (this.options.onResult) this.options.onResult(result);
    else this.results.push(result);
  }

  private wake(): void {
    const waiters = this.idleWaiters.splice(0);
    for (const resolve of waiters) resolve();
  }

  /** The next leased job; one claim at a time, which every idle worker waits for (it leases for all of them). */
  private async nextJob(): Promise<LeasedJob | undefined> {
    while (!this.fatal) {
      if (this.ready.length > 0) return this.ready.shift();
      if (!this.claiming) {
        if (this.waiting.length === 0) return undefined;
        this.claiming = this.claimNext().finally(() => (this.claiming = undefined));
      }
      await this.claiming;
    }
    return undefined;
  }

  private async work(): Promise<void> {
    let next: ReadyJob | undefined;
    try {
      next = this.readyJob(await this.nextJob());
      while (next) {
        const sending = this.sendOne(next);
        // While this one is in flight, the next is leased and rendered: its connection then
        // waits only for the hand-over mark.
        next = this.readyJob(await this.nextJob());
        await sending;
        this.wake();
        if (this.fatal && next) {
          // Stopped meanwhile: the next one goes back with the untried, for finish() to release.
          this.ready.unshift(next.job);
          next = undefined;
        }
      }
    } catch (error) {
      // Never an unhandled rejection: the run stops, and finish() reports it.
      this.fail(error);
    } finally {
      this.workers--;
      // Emails submitted after this worker last found none waiting started no worker of their
      // own (it still counted as one): one starts for them now.
      this.startWorkers();
      this.wake();
    }
  }

  private record(id: number, outcome: Outcome, result: DeliveryResult): void {
    this.pendingOutcomes.push({ id, outcome, result });
    if (this.pendingOutcomes.length >= OUTCOME_BATCH) this.settleNext();
    else this.flushSoon();
  }

  /**
   * Outcomes waiting go in the next commit: the next hand-over mark's, if an email waits for a
   * connection (a connection that just answered one takes the next at once, and its mark
   * follows in a moment: one commit for both, not two); otherwise as soon as the event loop is free.
   */
  private flushSoon(): void {
    if (this.pendingOutcomes.length === 0 || this.untaken > 0) return;
    this.flushTimer ??= setImmediate(() => this.settleNext());
  }

  /** Records every outcome still waiting (a failure stops the run: see `fail`). */
  private async flushOutcomes(): Promise<void> {
    while (this.settling || this.pendingOutcomes.length > 0) {
      this.settleNext();
      await this.settling;
    }
  }

  /**
   * Asks for a message's hand-over mark: whether it held. It goes in the next commit, with
   * every other mark and outcome waiting by then.
   */
  private mark(id: number, at: string): Promise<boolean> {
    return new Promise((held, failed) => {
      this.marksWaiting.push({ id, at, held, failed });
      this.settleNext();
    });
  }

  /**
   * Starts the next commit of outcomes and marks unless one is under way: then those waiting
   * go in the one after it, as soon as it ends. Commits thus group themselves by how busy the
   * store is, never by a timer: alone, a mark commits at once; four connections asking at
   * once share one commit (on PostgreSQL one statement, one round trip).
   */
  private settleNext(): void {
    if (this.flushTimer) clearImmediate(this.flushTimer);
    this.flushTimer = undefined;
    if (this.settling || (this.pendingOutcomes.length === 0 && this.marksWaiting.length === 0)) return;
    this.settling = this.commitSettle().finally(() => {
      this.settling = undefined;
      if (this.marksWaiting.length > 0 || this.pendingOutcomes.length >= OUTCOME_BATCH) this.settleNext();
      else this.flushSoon();
    });
  }

  /**
   * One commit: the outcomes waiting (not fsynced: a lost outcome reads as in doubt after the
   * lease, never as unsent) and the hand-over marks asked for. Outcomes are reported only once
   * stored: a result on screen is a result on disk. A failure fails the marks (their messages
   * are not sent) and stops the run.
   */
  private async commitSettle(): Promise<void> {
    const batch = this.pendingOutcomes.splice(0);
    const marks = this.marksWaiting.splice(0);
    const { store } = this.deps;
    let settled: { settled: boolean[]; started: boolean[] };
    try {
      settled = await store.write((tx) => tx.outbox.settle(this.owner, batch, marks), { relaxed: true, single: true });
    } catch (error) {
      // Not recorded (disk full…): the leases run out and the next run settles them.
      this.fail(error);
      for (const { result } of batch) this.report({ ...result, detail: `${result.detail} (not recorded: ${this.fatal!.message})` });
      for (const mark of marks) mark.failed(error);
      return;
    }
    batch.forEach(({ result }, i) => {
      // Our lease ran out and another process settled the message: say so.
      this.report(settled.settled[i] ? result : { ...result, outcome: 'unknown', detail: `${result.detail} (the lease expired before the outcome was recorded)` });
    });
    marks.forEach((mark, i) => mark.held(settled.started[i] === true));
  }

  /**
   * The last check before a message goes out: still ours, and its guest still waits for it.
   * A revoke or resend that committed first wins; the message is not sent.
   */
  private async startSend(message: MessageToSend): Promise<DeliveryResult | undefined> {
    const at = iso(this.deps.now());
    if (await this.mark(message.id, at)) return undefined;
    return this.deps.store.write(async (tx) => {
      const current = await tx.outbox.get(message.id);
      if (current?.state === 'sending' && current.leaseOwner === this.owner) {
        await tx.outbox.cancel(message.id, 'sending', { at, actor: this.owner, reason: 'not sent: the guest changed during the run' });
      }
      const now = await tx.outbox.get(message.id);
      return this.notSent(tx, message, now?.lastError ?? `not sent: the message is ${now?.state ?? 'gone'}`);
    });
  }

  /** A message this run will not send: because its guest was revoked or re-invited meanwhile, or `otherwise`. */
  private async notSent(tx: Store, message: Pick<MessageToSend, 'id' | 'guestId' | 'sendNumber' | 'recipient'>, otherwise: string): Promise<DeliveryResult> {
    const guest = await tx.guests.get(message.guestId);
    const detail =
      guest?.status === 'revoked'
        ? 'revoked during the run: not sent'
        : guest && guest.sendCount !== message.sendNumber
          ? 'a newer invite was sent during the run: not sent'
          : otherwise;
    return { outboxId: message.id, recipient: message.recipient, outcome: 'skipped', detail };
  }

  /**
   * The mailer's send, bounded by the overall deadline, which counts from when its gate opens:
   * an email waiting for a free connection, or for a hand-over mark that waits for the store (a
   * row another process holds locked), is not waiting for the server, and the email it then
   * lets out is not put in doubt for it.
   */
  private async sendWithDeadline(email: RenderedEmail, stem: string, gate: Gate): Promise<SendReceipt> {
    let opened!: (open: boolean) => void;
    const gateOpened = new Promise<boolean>((resolve) => (opened = resolve));
    const sending = this.deps.mailer.send(email, stem, () => {
      const answer = gate();
      void gateOpen(answer).then(opened);
      return answer;
    });
    const deadlineMs = this.options.deadlineMs;
    if (!deadlineMs) return sending;
    // Read below, or by the caller when the gate closes: never an unhandled rejection meanwhile.
    const ended = sending.then(
      () => false,
      () => false,
    );
    // A send that ends before its gate is asked (the connection failed) has no deadline to keep.
    if (!(await Promise.race([gateOpened, ended]))) return sending;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(
        () => reject(Object.assign(new Error(`no answer from the SMTP server within ${Math.round(deadlineMs / 1000)} s`), { deadline: true })),
        deadlineMs,
      );
    });
    try {
      return await Promise.race([sending, deadline]);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Waits for this message's turn: after any pause a "slow down" reply asked for, and under
   * the rate limit (each worker reserves the next slot, so they share the rate between them).
   */
  private async waitForSlot(): Promise<void> {
    const now = this.monotonic();
    const rate = this.options.ratePerSecond;
    let start = Math.max(now, this.pauseUntil);
    if (rate !== undefined && Number.isFinite(rate)) {
      start = Math.max(start, this.nextSlot);
      this.nextSlot = start + 1000 / rate;
    }
    if (start > now) await this.sleep(start - now);
  }

  /** A leased job with its email rendered, ahead of its turn. */
  private readyJob(job: LeasedJob | undefined): ReadyJob | undefined {
    if (!job) return undefined;
    return { job, email: renderFor(this.deps.workspace, job.message, job.tempPassword, iso(this.deps.now())) };
  }

  /** The run stopped before this attempt went out: back to the queue, with the attempts made so far. */
  private releaseStopped(message: MessageToSend, attempt: number): void {
    const at = iso(this.deps.now());
    const reason = `not sent: ${this.fatal!.message}`;
    this.record(
      message.id,
      { event: 'release', at, error: reason, nextAttemptAt: at, extraAttempts: attempt - 2 },
      { outboxId: message.id, recipient: message.recipient, outcome: 'queued', detail: reason },
    );
  }

  private async sendOne({ job, email }: ReadyJob): Promise<void> {
    const { message } = job;
    const base = { outboxId: message.id, recipient: message.recipient };
    for (let attempt = 1; ; attempt++) {
      await this.waitForSlot();
      if (this.fatal) return this.releaseStopped(message, attempt);
      // The send is posted at once, gated on the hand-over mark: the mark is asked for when a
      // connection takes the email, and commits while its envelope goes; nothing of the
      // message reaches the server before the mark holds, and a revoke or resend that commits
      // first closes the gate. A stopped run opens no gate: that email goes back to the queue.
      const stem = fileStemFor(message.recipient, message.id);
      let marking: Promise<DeliveryResult | 'stopped' | undefined> | undefined;
      let taken = false;
      const takenNow = () => {
        if (taken) return;
        taken = true;
        this.untaken--;
        this.flushSoon();
      };
      const gate: Gate = () => {
        marking = this.fatal ? Promise.resolve('stopped' as const) : this.startSend(message);
        takenNow();
        return marking.then((cancelled) => cancelled === undefined);
      };
      let receipt: SendReceipt | undefined;
      let sendError: unknown;
      this.untaken++;
      try {
        receipt = await this.sendWithDeadline(email, stem, gate);
      } catch (error) {
        sendError = error;
      } finally {
        takenNow();
      }
      // Never asked (the connection failed first): nothing was marked, the error says what happened.
      let cancelled: DeliveryResult | 'stopped' | undefined;
      try {
        cancelled = await marking;
      } catch (error) {
        // The store cannot take the hand-over mark (disk full…): not sent; give the lease back if it can.
        this.fail(error);
        await this.releaseUnsent([message.id]);
        this.report({ ...base, outcome: 'queued', detail: `not sent: ${this.fatal!.message}` });
        return;
      }
      if (cancelled === 'stopped') return this.releaseStopped(message, attempt);
      if (cancelled) {
        this.report(cancelled);
        return;
      }
      if (receipt) {
        this.connectionFailures = 0;
        this.slowDowns = 0;
        this.options.log?.(`attempt ${attempt} to ${message.recipient} (${message.messageId}): sent: ${receipt.response}`);
        this.record(
          message.id,
          { event: 'deliver', at: iso(this.deps.now()), smtpResponse: receipt.response, filePath: receipt.filePath ?? null, extraAttempts: attempt - 1 },
          { ...base, outcome: 'sent', detail: receipt.response, filePath: receipt.filePath },
        );
        return;
      }
      // Not sent: the error says why, and whether it goes back to the queue.
      const error = sendError;
      // Its gate never asked, no connection had it: whatever the error says, nothing was handed over.
      const classified = classifySendError(error);
      const kind = classified === 'unknown' && marking === undefined ? 'transient' : classified;
      const text = describeSendError(error);
      const at = this.deps.now();
      const extraAttempts = attempt - 1;
      this.options.log?.(`attempt ${attempt} to ${message.recipient} (${message.messageId}): ${kind}: ${text}`);
      if (kind === 'transient' && isConnectionFailure(error)) {
        if (++this.connectionFailures >= UNREACHABLE_AFTER) {
          // Down, not one bad message: stop here; everything stays queued, due at once.
          const { mailer } = this.deps;
          this.fail(new ServerUnreachable(`SMTP ${mailer.description} is unreachable (${text})`));
          this.record(message.id, { event: 'release', at: iso(at), error: text, nextAttemptAt: iso(at), extraAttempts }, { ...base, outcome: 'queued', detail: text });
          return;
        }
      } else {
        this.connectionFailures = 0;
      }
      if (isSlowDown(error)) {
        // The server asked everyone to wait: a pause for every worker, longer each time.
        this.pauseUntil = Math.max(this.pauseUntil, this.monotonic() + backoffDelay(this.options.backoffMs, ++this.slowDowns));
      }
      if (kind === 'permanent') {
        this.record(message.id, { event: 'reject', at: iso(at), error: text, smtpResponse: text, extraAttempts }, { ...base, outcome: 'failed', detail: text });
        return;
      }
      if (kind === 'unknown') {
        this.record(message.id, { event: 'doubt', at: iso(at), error: text, extraAttempts }, { ...base, outcome: 'unknown', detail: text });
        return;
      }
      // Transient or fatal: nothing was handed over, so it goes back to the queue.
      if (kind === 'fatal') {
        const { mailer } = this.deps;
        const failure = new MailerFailure(`${mailer.kind === 'smtp' ? 'SMTP ' : ''}${mailer.description}: ${text}`);
        failure.suggestedUrl = (error as { suggestedUrl?: string }).suggestedUrl;
        this.fail(failure);
        this.record(message.id, { event: 'release', at: iso(at), error: text, nextAttemptAt: iso(at), extraAttempts }, { ...base, outcome: 'queued', detail: text });
        return;
      }
      const delay = backoffDelay(this.options.backoffMs, attempt);
      if (attempt >= this.options.maxAttempts || this.fatal) {
        this.record(
          message.id,
          { event: 'release', at: iso(at), error: text, nextAttemptAt: iso(addMs(at, delay)), extraAttempts },
          { ...base, outcome: 'queued', detail: text },
        );
        return;
      }
      await this.sleep(delay);
    }
  }
}

/**
 * Claims the given outbox rows and sends them: `outbox flush`. `interruptible` hands a signal
 * to the run, which then stops cleanly and reports the unsent messages as queued.
 */
export async function deliverOutbox(
  deps: DeliveryDeps,
  ids: readonly number[],
  options: DeliveryOptions,
  interruptible: (stop: (interruption: Interrupted) => void) => () => void = () => () => {},
): Promise<DeliveryResult[]> {
  const deliverer = new Deliverer(deps, options);
  const unlisten = interruptible((interruption) => deliverer.stop(interruption));
  deliverer.submit(ids.map((outboxId) => ({ outboxId })));
  try {
    return await deliverer.finish();
  } catch (error) {
    if (error instanceof Interrupted) return deliverer.results;
    throw error;
  } finally {
    unlisten();
  }
}

/** `now`: when it is sent, so the email can say how long the guest has ("in 7 days"). */
export function renderFor(workspace: Workspace, message: MessageToSend, tempPassword: string, now?: string) {
  return renderInviteEmail({
    now,
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
    // Emails recorded before version 5 have no token of their own.
    inviteToken: message.linkToken ?? `${message.guestId}.${message.sendNumber}`,
  });
}
