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

/** One kind of step: a table row and its statement, built once (a bulk run applies three per message). */
interface StepKind {
  event: OutboxEvent;
  from: OutboxState;
  to: OutboxState;
  sql: string;
}

/** A step of the table, with the columns it sets and any guard beyond the state; undefined if the table has no such row. */
function stepKind(event: OutboxEvent, from: OutboxState, set?: string, guard?: string): StepKind | undefined {
  const to = nextOutboxState(from, event);
  if (to === undefined) return undefined;
  const sql = `UPDATE outbox SET state = '${to}'${set ? `, ${set}` : ''} WHERE id = @id AND state = '${from}'${guard ? ` AND ${guard}` : ''}`;
  return { event, from, to, sql };
}

function apply(store: Store, kind: StepKind | undefined, id: number, at: string, actor: string, params: Record<string, unknown> = {}): boolean {
  if (!store.db.inTransaction) throw new Error('outbox transitions run inside store.write()');
  if (kind === undefined) return false;
  params.id = id;
  params.at = at;
  const changed = store.stmt(kind.sql).run(params).changes === 1;
  if (changed) {
    store
      .stmt(`INSERT INTO outbox_events (outbox_id, at, actor, event, from_state, to_state) VALUES (?, ?, ?, ?, ?, ?)`)
      .run(id, at, actor, kind.event, kind.from, kind.to);
  }
  return changed;
}

const LEASE = `lease_owner = @owner, lease_expires_at = @leaseUntil, handover_at = NULL, attempts = attempts + 1`;
const LEASE_FRESH = stepKind('lease', 'queued', LEASE, `attempts = 0 AND ${GUEST_WAITS}`);
const LEASE_DUE = stepKind('lease', 'queued', LEASE, `(@ignoreSchedule OR next_attempt_at <= @at)`);

/**
 * lease: queued and due (or asked for explicitly), for one sender. `fresh` is the common case
 * in one statement: never tried (so the recorder still holds its password) and its guest
 * waits for exactly this send; otherwise the caller checks the guest before sending.
 */
export function lease(store: Store, id: number, lease: { owner: string; leaseUntil: string; at: string; ignoreSchedule?: boolean; fresh?: boolean }): boolean {
  return apply(store, lease.fresh ? LEASE_FRESH : LEASE_DUE, id, lease.at, lease.owner, {
    owner: lease.owner,
    leaseUntil: lease.leaseUntil,
    ...(lease.fresh ? {} : { ignoreSchedule: lease.ignoreSchedule ? 1 : 0 }),
  });
}

const START = stepKind('start', 'sending', `handover_at = @at`, `lease_owner = @owner AND ${GUEST_WAITS}`);

/**
 * start: the last check before a message goes to a connection (or a file). Committed before
 * the first byte, so a revoke that commits first stops it, one that commits later finds it
 * on its way, and after a crash only such messages are in doubt.
 */
export function startHandover(store: Store, id: number, owner: string, at: string): boolean {
  return apply(store, START, id, at, owner, { owner });
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

const SETTLE = `lease_owner = NULL, lease_expires_at = NULL, attempts = max(attempts + @extraAttempts, 0), last_error = @error,
  smtp_response = coalesce(@smtpResponse, smtp_response), file_path = coalesce(@filePath, file_path)`;
const OUTCOMES: Record<Outcome['event'], StepKind | undefined> = {
  deliver: stepKind('deliver', 'sending', `${SETTLE}, sent_at = @at`, `lease_owner = @owner`),
  reject: stepKind('reject', 'sending', SETTLE, `lease_owner = @owner`),
  doubt: stepKind('doubt', 'sending', `${SETTLE}, in_doubt = 1`, `lease_owner = @owner`),
  // Nothing was handed over: it may go again, at its retry time.
  release: stepKind('release', 'sending', `${SETTLE}, handover_at = NULL, next_attempt_at = coalesce(@nextAttemptAt, next_attempt_at)`, `lease_owner = @owner`),
};

/** Settles a send, only if this sender still holds the lease. */
export function finishSend(store: Store, id: number, owner: string, outcome: Outcome): boolean {
  return apply(store, OUTCOMES[outcome.event], id, outcome.at, outcome.actor ?? owner, {
    owner,
    extraAttempts: outcome.extraAttempts ?? 0,
    error: outcome.error ?? null,
    smtpResponse: outcome.smtpResponse ?? null,
    filePath: outcome.filePath ?? null,
    ...(outcome.event === 'release' ? { nextAttemptAt: outcome.nextAttemptAt ?? null } : {}),
  });
}

const CANCEL = `lease_owner = NULL, lease_expires_at = NULL, last_error = @reason`;
const CANCELS: Record<OutboxState, StepKind | undefined> = {
  queued: stepKind('cancel', 'queued', CANCEL),
  sending: stepKind('cancel', 'sending', CANCEL, `handover_at IS NULL`),
  sent: undefined,
  failed: undefined,
  unknown: undefined,
};

/** cancel: a queued message, or a leased one whose SMTP transaction has not started. */
export function cancelMessage(store: Store, id: number, from: OutboxState, why: { at: string; actor: string; reason: string }): boolean {
  return apply(store, CANCELS[from], id, why.at, why.actor, { reason: why.reason });
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

const RETRIES: Partial<Record<OutboxState, StepKind>> = {
  failed: stepKind('retry', 'failed', `next_attempt_at = @at`),
  unknown: stepKind('retry', 'unknown', `next_attempt_at = @at`),
};

/** retry: failed or unknown back to the queue, due now. Its in-doubt mark stays. */
export function retryMessage(store: Store, id: number, from: OutboxState, at: string, actor: string): boolean {
  return apply(store, RETRIES[from], id, at, actor);
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
