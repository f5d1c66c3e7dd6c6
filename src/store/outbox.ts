import { nextOutboxState, type OutboxEvent } from '../state/outbox.js';
import type { Store } from './store.js';
import type { OutboxState } from './types.js';

/**
 * The invite email's transitions (src/state/outbox.ts), each a compare-and-set on the row
 * plus its event in `outbox_events`. They run inside the caller's `store.write()`, so a
 * sender can take or settle many messages in one commit; each one still holds or fails alone.
 */

/** The guest still waits for exactly this send: pending, and this is their latest invite. */
const GUEST_WAITS = `EXISTS (SELECT 1 FROM guests g WHERE g.id = outbox.guest_id AND g.status = 'pending' AND g.send_count = outbox.send_number)`;

interface Step {
  id: number;
  event: OutboxEvent;
  from: OutboxState;
  at: string;
  actor: string;
  set?: string;
  guard?: string;
  params?: Record<string, unknown>;
  detail?: Record<string, unknown>;
}

function apply(store: Store, step: Step): boolean {
  if (!store.db.inTransaction) throw new Error('outbox transitions run inside store.write()');
  const to = nextOutboxState(step.from, step.event);
  if (to === undefined) return false;
  const changed =
    store
      .stmt(`UPDATE outbox SET state = @to${step.set ? `, ${step.set}` : ''} WHERE id = @id AND state = @from${step.guard ? ` AND ${step.guard}` : ''}`)
      .run({ ...step.params, id: step.id, from: step.from, to, at: step.at }).changes === 1;
  if (changed) {
    store
      .stmt(`INSERT INTO outbox_events (outbox_id, at, actor, event, from_state, to_state, detail) VALUES (?, ?, ?, ?, ?, ?, ?)`)
      .run(step.id, step.at, step.actor, step.event, step.from, to, step.detail ? JSON.stringify(step.detail) : null);
  }
  return changed;
}

/**
 * lease: queued and due (or asked for explicitly), for one sender. `fresh` is the common case
 * in one statement: never tried (so the recorder still holds its password) and its guest
 * waits for exactly this send; otherwise the caller checks the guest before sending.
 */
export function lease(store: Store, id: number, lease: { owner: string; leaseUntil: string; at: string; ignoreSchedule?: boolean; fresh?: boolean }): boolean {
  return apply(store, {
    id,
    event: 'lease',
    from: 'queued',
    at: lease.at,
    actor: lease.owner,
    set: `lease_owner = @owner, lease_expires_at = @leaseUntil, handover_at = NULL, attempts = attempts + 1`,
    guard: lease.fresh ? `attempts = 0 AND ${GUEST_WAITS}` : `(@ignoreSchedule OR next_attempt_at <= @at)`,
    params: { owner: lease.owner, leaseUntil: lease.leaseUntil, ignoreSchedule: lease.ignoreSchedule ? 1 : 0 },
  });
}

/**
 * start: the last check before a message goes to a connection (or a file). Committed before
 * the first byte, so a revoke that commits first stops it, one that commits later finds it
 * on its way, and after a crash only such messages are in doubt.
 */
export function startHandover(store: Store, id: number, owner: string, at: string): boolean {
  return apply(store, {
    id,
    event: 'start',
    from: 'sending',
    at,
    actor: owner,
    set: `handover_at = @at`,
    guard: `lease_owner = @owner AND ${GUEST_WAITS}`,
    params: { owner },
  });
}

export interface Outcome {
  event: 'deliver' | 'reject' | 'doubt' | 'release';
  at: string;
  /** Attempts made in this run beyond the one the lease counted (−1: the lease made none). */
  extraAttempts?: number;
  nextAttemptAt?: string;
  error?: string | null;
  smtpResponse?: string | null;
  filePath?: string | null;
  /** Who settles it, when not the lease owner itself (recovery of a dead sender's lease). */
  actor?: string;
}

const OUTCOME_SET: Record<Outcome['event'], string> = {
  deliver: `sent_at = @at`,
  reject: '',
  doubt: `in_doubt = 1`,
  // Nothing was handed over: it may go again, at its retry time.
  release: `handover_at = NULL, next_attempt_at = coalesce(@nextAttemptAt, next_attempt_at)`,
};

/** Settles a send, only if this sender still holds the lease. */
export function finishSend(store: Store, id: number, owner: string, outcome: Outcome): boolean {
  return apply(store, {
    id,
    event: outcome.event,
    from: 'sending',
    at: outcome.at,
    actor: outcome.actor ?? owner,
    set: [
      `lease_owner = NULL, lease_expires_at = NULL, attempts = max(attempts + @extraAttempts, 0), last_error = @error,
       smtp_response = coalesce(@smtpResponse, smtp_response), file_path = coalesce(@filePath, file_path)`,
      OUTCOME_SET[outcome.event],
    ]
      .filter(Boolean)
      .join(', '),
    guard: `lease_owner = @owner`,
    params: {
      owner,
      extraAttempts: outcome.extraAttempts ?? 0,
      nextAttemptAt: outcome.nextAttemptAt ?? null,
      error: outcome.error ?? null,
      smtpResponse: outcome.smtpResponse ?? null,
      filePath: outcome.filePath ?? null,
    },
  });
}

/** cancel: a queued message, or a leased one whose SMTP transaction has not started. */
export function cancelMessage(store: Store, id: number, from: 'queued' | 'sending', why: { at: string; actor: string; reason: string }): boolean {
  return apply(store, {
    id,
    event: 'cancel',
    from,
    at: why.at,
    actor: why.actor,
    set: `lease_owner = NULL, lease_expires_at = NULL, last_error = @reason`,
    guard: from === 'sending' ? `handover_at IS NULL` : undefined,
    params: { reason: why.reason },
  });
}

/** Cancels every email of a guest that has not started; counts those already on their way. */
export function cancelMessagesOf(store: Store, guestId: number, why: { at: string; actor: string; reason: string }): { cancelled: number; onTheirWay: number } {
  let cancelled = 0;
  let onTheirWay = 0;
  const open = store
    .stmt(`SELECT id, state, handover_at AS handoverAt FROM outbox WHERE guest_id = ? AND state IN ('queued', 'sending')`)
    .all(guestId) as { id: number; state: 'queued' | 'sending'; handoverAt: string | null }[];
  for (const message of open) {
    if (message.state === 'sending' && message.handoverAt !== null) onTheirWay++;
    else if (cancelMessage(store, message.id, message.state, why)) cancelled++;
  }
  return { cancelled, onTheirWay };
}

/** retry: failed or unknown back to the queue, due now. Its in-doubt mark stays. */
export function retryMessage(store: Store, id: number, from: 'failed' | 'unknown', at: string, actor: string): boolean {
  return apply(store, { id, event: 'retry', from, at, actor, set: `next_attempt_at = @at` });
}

/**
 * Leases whose time ran out belong to a sender that died (or stalled): a message whose SMTP
 * transaction had not started goes back to the queue; one that had is `unknown`, never resent
 * silently.
 */
export function recoverAbandonedLeases(store: Store, now: string, actor: string): { released: number; doubted: number } {
  // The lease owner's id is the guard; `actor` (the recovering process) is who settles it.
  let released = 0;
  let doubted = 0;
  const expired = store
    .stmt(`SELECT id, lease_owner AS owner, handover_at AS handoverAt FROM outbox WHERE state = 'sending' AND lease_expires_at <= ?`)
    .all(now) as { id: number; owner: string; handoverAt: string | null }[];
  for (const message of expired) {
    if (message.handoverAt === null) {
      if (finishSend(store, message.id, message.owner, { event: 'release', at: now, nextAttemptAt: now, error: 'its sender stopped before sending it', actor })) {
        released++;
      }
    } else if (
      finishSend(store, message.id, message.owner, {
        event: 'doubt',
        at: now,
        error: 'the sender stopped during the send (lease expired); it may or may not have been delivered',
        actor,
      })
    ) {
      doubted++;
    }
  }
  return { released, doubted };
}
