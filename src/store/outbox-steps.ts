import { nextOutboxState, type OutboxEvent } from '../state/outbox.js';
import type { Outcome, OutcomeEvent } from './outbox.js';
import type { OutboxState } from './types.js';

/**
 * The invite email's transitions as SQL (for outbox.ts): each row of src/state/outbox.ts as one
 * compare-and-set, written in what SQLite and PostgreSQL both read (`CASE`, `TRUE`, quoted
 * aliases) so that both stores apply exactly the same table.
 */

/** The guest still waits for exactly this send: pending, and this is their latest invite. */
const GUEST_WAITS = `EXISTS (SELECT 1 FROM guests g WHERE g.id = outbox.guest_id AND g.status = 'pending' AND g.send_count = outbox.send_number)`;

export interface StepKind {
  event: OutboxEvent;
  from: OutboxState;
  to: OutboxState;
  /** The step on the row `@id`. */
  sql: string;
  /** The same step on every row meeting `ids` (a condition on `id`): many rows in one statement. */
  onRows(ids: string): string;
}

/** A step of the table, with the columns it sets and any guard beyond the state; undefined if the table has no such row. */
function stepKind(event: OutboxEvent, from: OutboxState, set?: string, guard?: string): StepKind | undefined {
  const to = nextOutboxState(from, event);
  if (to === undefined) return undefined;
  const onRows = (ids: string) => `UPDATE outbox SET state = '${to}'${set ? `, ${set}` : ''} WHERE ${ids} AND state = '${from}'${guard ? ` AND ${guard}` : ''}`;
  return { event, from, to, sql: onRows('id = @id'), onRows };
}

export const LEASE = `lease_owner = @owner, lease_expires_at = @leaseUntil, handover_at = NULL, attempts = attempts + 1`;
export const LEASE_FRESH = stepKind('lease', 'queued', LEASE, `attempts = 0 AND ${GUEST_WAITS}`);
export const LEASE_DUE = stepKind('lease', 'queued', LEASE, `(@ignoreSchedule OR next_attempt_at <= @at)`);
export const START = stepKind('start', 'sending', `handover_at = @at`, `lease_owner = @owner AND ${GUEST_WAITS}`);

/** `CASE` rather than SQLite's two-argument `max()` or PostgreSQL's `greatest()`: both read it. */
const SETTLE = `lease_owner = NULL, lease_expires_at = NULL,
  attempts = CASE WHEN attempts + @extraAttempts > 0 THEN attempts + @extraAttempts ELSE 0 END, last_error = @error,
  smtp_response = coalesce(@smtpResponse, smtp_response), file_path = coalesce(@filePath, file_path)`;
export const OUTCOMES: Record<OutcomeEvent, StepKind | undefined> = {
  deliver: stepKind('deliver', 'sending', `${SETTLE}, sent_at = @at`, `lease_owner = @owner`),
  reject: stepKind('reject', 'sending', SETTLE, `lease_owner = @owner`),
  doubt: stepKind('doubt', 'sending', `${SETTLE}, in_doubt = TRUE`, `lease_owner = @owner`),
  // Nothing was handed over: it may go again, at its retry time.
  release: stepKind('release', 'sending', `${SETTLE}, handover_at = NULL, next_attempt_at = coalesce(@nextAttemptAt, next_attempt_at)`, `lease_owner = @owner`),
};

const CANCEL = `lease_owner = NULL, lease_expires_at = NULL, last_error = @reason`;
export const CANCELS: Record<OutboxState, StepKind | undefined> = {
  queued: stepKind('cancel', 'queued', CANCEL),
  sending: stepKind('cancel', 'sending', CANCEL, `handover_at IS NULL`),
  sent: undefined,
  failed: undefined,
  unknown: undefined,
};

export const RETRIES: Partial<Record<OutboxState, StepKind>> = {
  failed: stepKind('retry', 'failed', `next_attempt_at = @at`),
  unknown: stepKind('retry', 'unknown', `next_attempt_at = @at`),
};

export const OUTBOX_COLUMNS = `
  id, guest_id AS "guestId", send_number AS "sendNumber", message_id AS "messageId", recipient, inviter,
  custom_message AS "customMessage", expires_at AS "expiresAt", state, attempts, next_attempt_at AS "nextAttemptAt",
  lease_owner AS "leaseOwner", lease_expires_at AS "leaseExpiresAt", last_error AS "lastError",
  smtp_response AS "smtpResponse", file_path AS "filePath", created_at AS "createdAt", sent_at AS "sentAt",
  handover_at AS "handoverAt", in_doubt AS "inDoubt", route, link_token AS "linkToken"`;

/** The parameters of an outcome's step (OUTCOMES), for the sender that holds the lease. */
export function outcomeParams(owner: string, outcome: Outcome): Record<string, unknown> {
  return {
    owner,
    extraAttempts: outcome.extraAttempts ?? 0,
    error: outcome.error ?? null,
    smtpResponse: outcome.smtpResponse ?? null,
    filePath: outcome.filePath ?? null,
    ...(outcome.event === 'release' ? { nextAttemptAt: outcome.nextAttemptAt ?? null } : {}),
  };
}
