import { randomBytes } from 'node:crypto';
import { renderInviteEmail } from '../email/render.js';
import { FailureError } from '../errors.js';
import { fileStemFor, type Mailer } from '../mail/mailer.js';
import { generateTempPassword, hashTempPassword } from '../secrets.js';
import type { Store } from '../store/store.js';
import type { OutboxMessage, Workspace } from '../store/types.js';
import { addMs, iso } from '../time.js';
import { classifySendError, describeSendError } from './classify.js';

export interface DeliveryDeps {
  store: Store;
  mailer: Mailer;
  now: () => Date;
  workspace: Workspace;
}

/** One message to send. The plaintext password is present only in the process that created it. */
export interface SendJob {
  outboxId: number;
  tempPassword?: string;
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
  sleep?: (ms: number) => Promise<void>;
  onResult?: (result: DeliveryResult) => void;
}

const LEASE_MS = 3 * 60_000;

export function backoffDelay(baseMs: number, attempt: number): number {
  const ceiling = baseMs * 2 ** Math.max(0, attempt - 1);
  // "Equal jitter": half fixed, half random, so concurrent senders spread out but never retry at once.
  return Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Sends outbox messages with a lease each. The lease is taken in an IMMEDIATE
 * transaction; the network call runs outside any transaction; the outcome is
 * recorded only if the lease is still ours.
 */
export async function deliverMessages(
  deps: DeliveryDeps,
  jobs: readonly SendJob[],
  options: DeliveryOptions,
): Promise<DeliveryResult[]> {
  const owner = randomBytes(8).toString('hex');
  const sleep = options.sleep ?? defaultSleep;
  const results: DeliveryResult[] = [];
  let fatal: FailureError | undefined;
  let next = 0;

  const record = (result: DeliveryResult) => {
    results.push(result);
    options.onResult?.(result);
  };

  async function sendOne(job: SendJob): Promise<void> {
    const { store } = deps;
    let password = job.tempPassword;
    for (let attempt = 1; ; attempt++) {
      if (fatal) return;
      const now = deps.now();
      const claim = store.write(() => {
        // A retry within this run was scheduled by this run, after its own backoff sleep.
        const message = store.claimOutboxMessage(job.outboxId, owner, iso(now), iso(addMs(now, LEASE_MS)), {
          retryUnknown: options.retryUnknown,
          ignoreSchedule: attempt > 1,
        });
        if (!message) return undefined;
        const guest = store.getGuest(message.guestId)!;
        if (guest.status !== 'pending' || guest.sendCount !== message.sendNumber) {
          const reason =
            guest.status !== 'pending' ? `not sent: the guest is ${guest.status}` : 'not sent: superseded by a newer invite';
          store.finishOutboxMessage(message.id, owner, { state: 'failed', at: iso(now), error: reason });
          return { message, guestName: guest.name, skip: reason };
        }
        if (password === undefined) {
          // The plaintext of this send left with the process that created it. A message that is
          // still queued was never handed over, so its password can be replaced; after an
          // `unknown` send the old one may be in the guest's inbox and stays valid too.
          password = generateTempPassword();
          const hash = hashTempPassword(deps.workspace.hmacKey, password);
          if (message.state === 'unknown') store.addTempPasswordHash(guest.id, message.sendNumber, hash, iso(now));
          else store.replaceTempPasswordHash(guest.id, message.sendNumber, hash, iso(now));
        }
        return { message, guestName: guest.name, skip: undefined };
      });
      if (!claim) {
        const current = store.getOutboxMessage(job.outboxId);
        record({
          outboxId: job.outboxId,
          recipient: current?.recipient ?? '?',
          outcome: 'skipped',
          detail: current ? `not sent: it is ${current.state}` : 'not sent: no such message',
        });
        return;
      }
      const { message } = claim;
      if (claim.skip) {
        record({ outboxId: message.id, recipient: message.recipient, outcome: 'skipped', detail: claim.skip });
        return;
      }
      const email = renderFor(deps.workspace, message, claim.guestName, password!);
      try {
        const receipt = await deps.mailer.send(email, fileStemFor(message.recipient, message.sendNumber));
        store.finishOutboxMessage(message.id, owner, {
          state: 'sent',
          at: iso(deps.now()),
          smtpResponse: receipt.response,
          filePath: receipt.filePath ?? null,
        });
        record({ outboxId: message.id, recipient: message.recipient, outcome: 'sent', detail: receipt.response, filePath: receipt.filePath });
        return;
      } catch (error) {
        const kind = classifySendError(error);
        const text = describeSendError(error);
        const at = deps.now();
        if (kind === 'permanent') {
          store.finishOutboxMessage(message.id, owner, { state: 'failed', at: iso(at), error: text, smtpResponse: text });
          record({ outboxId: message.id, recipient: message.recipient, outcome: 'failed', detail: text });
          return;
        }
        if (kind === 'unknown') {
          store.finishOutboxMessage(message.id, owner, { state: 'unknown', at: iso(at), error: text });
          record({ outboxId: message.id, recipient: message.recipient, outcome: 'unknown', detail: text });
          return;
        }
        // Transient or fatal: nothing was handed over, so it goes back to the queue.
        const delay = backoffDelay(options.backoffMs, attempt);
        store.finishOutboxMessage(message.id, owner, {
          state: 'queued',
          at: iso(at),
          error: text,
          nextAttemptAt: iso(kind === 'fatal' ? at : addMs(at, delay)),
        });
        if (kind === 'fatal') {
          fatal ??= new FailureError(`SMTP ${deps.mailer.description}: ${text}`);
          record({ outboxId: message.id, recipient: message.recipient, outcome: 'queued', detail: text });
          return;
        }
        if (attempt >= options.maxAttempts) {
          record({ outboxId: message.id, recipient: message.recipient, outcome: 'queued', detail: text });
          return;
        }
        await sleep(delay);
      }
    }
  }

  async function worker(): Promise<void> {
    while (!fatal && next < jobs.length) {
      const job = jobs[next++]!;
      await sendOne(job);
    }
  }

  const workers = Array.from({ length: Math.max(1, Math.min(options.concurrency, jobs.length)) }, worker);
  await Promise.all(workers);
  if (fatal) throw fatal;
  return results;
}

export function renderFor(workspace: Workspace, message: OutboxMessage, guestName: string | null, tempPassword: string) {
  return renderInviteEmail({
    workspaceName: workspace.name,
    signInUrl: workspace.signInUrl,
    sender: workspace.sender,
    recipient: message.recipient,
    guestName,
    tempPassword,
    inviter: message.inviter,
    customMessage: message.customMessage,
    expiresAt: message.expiresAt,
    messageId: message.messageId,
    inviteToken: `${message.guestId}.${message.sendNumber}`,
  });
}
