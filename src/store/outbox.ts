import { CANCELS, LEASE_DUE, LEASE_FRESH, OUTBOX_COLUMNS, OUTCOMES, outcomeParams, RETRIES, START, type StepKind } from './outbox-steps.js';
import type { Sql } from './sql.js';
import type { OutboxMessage, OutboxRoute, OutboxState } from './types.js';

/**
 * The invite email's transitions (src/state/outbox.ts), each a compare-and-set on the row
 * plus its event in `outbox_events`. They run inside the caller's `store.write()`, so a
 * sender can take or settle many messages in one commit; each one still holds or fails alone.
 */

export type OutcomeEvent = 'deliver' | 'reject' | 'doubt' | 'release';

export interface Outcome {
  event: OutcomeEvent;
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

/** What a new email is recorded with; `route` is the way the recording run was configured (SMTP or the outbox folder). */
export type NewOutboxMessage = Pick<
  OutboxMessage,
  'guestId' | 'sendNumber' | 'messageId' | 'recipient' | 'inviter' | 'customMessage' | 'expiresAt' | 'createdAt' | 'route'
> & {
  /** Opaque and random: what its join link carries. */
  linkToken: string;
};

/** The invite emails: one row per send, recorded with its invite, and the table of their transitions. */
export class OutboxRepository {
  constructor(private readonly sql: Sql) {}

  // ── rows ─────────────────────────────────────────────────────────────────

  insert(message: NewOutboxMessage): number {
    const result = this.sql
      .stmt(
        `INSERT INTO outbox (guest_id, send_number, message_id, recipient, inviter, custom_message, expires_at, next_attempt_at, created_at, route, link_token)
       VALUES (@guestId, @sendNumber, @messageId, @recipient, @inviter, @customMessage, @expiresAt, @createdAt, @createdAt, @route, @linkToken)`,
      )
      .run(message);
    return Number(result.lastInsertRowid);
  }

  get(id: number): OutboxMessage | undefined {
    return this.sql.stmt(`SELECT ${OUTBOX_COLUMNS} FROM outbox WHERE id = ?`).get(id) as OutboxMessage | undefined;
  }

  /** The queued messages due now, with where each must go. */
  due(now: string, limit: number): { id: number; route: OutboxRoute | null }[] {
    return this.sql
      .stmt(`SELECT id, route FROM outbox WHERE state = 'queued' AND next_attempt_at <= @now ORDER BY next_attempt_at, id LIMIT @limit`)
      .all({ now, limit }) as { id: number; route: OutboxRoute | null }[];
  }

  /** Queued messages whose retry time has not come: how many, and the first time. */
  waiting(now: string): { count: number; next: string | null } {
    return this.sql.stmt(`SELECT count(*) AS count, min(next_attempt_at) AS next FROM outbox WHERE state = 'queued' AND next_attempt_at > ?`).get(now) as {
      count: number;
      next: string | null;
    };
  }

  /** Messages in this state, oldest first. */
  idsIn(state: OutboxState): number[] {
    return (this.sql.stmt(`SELECT id FROM outbox WHERE state = ? ORDER BY id`).all(state) as { id: number }[]).map((r) => r.id);
  }

  list(state?: OutboxState): OutboxMessage[] {
    return this.sql
      .stmt(`SELECT ${OUTBOX_COLUMNS} FROM outbox WHERE @state IS NULL OR state = @state ORDER BY id`)
      .all({ state: state ?? null }) as OutboxMessage[];
  }

  counts(): Record<OutboxState, number> {
    const counts: Record<OutboxState, number> = { queued: 0, sending: 0, sent: 0, failed: 0, unknown: 0 };
    for (const row of this.sql.stmt(`SELECT state, count(*) AS n FROM outbox GROUP BY state`).all() as {
      state: OutboxState;
      n: number;
    }[]) {
      counts[row.state] = row.n;
    }
    return counts;
  }

  /** A guest's emails, oldest first. */
  ofGuest(guestId: number): OutboxMessage[] {
    return this.sql.stmt(`SELECT ${OUTBOX_COLUMNS} FROM outbox WHERE guest_id = ? ORDER BY id`).all(guestId) as OutboxMessage[];
  }

  // ── transitions ──────────────────────────────────────────────────────────

  private apply(kind: StepKind | undefined, id: number, at: string, actor: string, params: Record<string, unknown> = {}): boolean {
    if (!this.sql.inTransaction) throw new Error('outbox transitions run inside store.write()');
    if (kind === undefined) return false;
    params.id = id;
    params.at = at;
    const changed = this.sql.stmt(kind.sql).run(params).changes === 1;
    if (changed) {
      this.sql
        .stmt(`INSERT INTO outbox_events (outbox_id, at, actor, event, from_state, to_state) VALUES (?, ?, ?, ?, ?, ?)`)
        .run(id, at, actor, kind.event, kind.from, kind.to);
    }
    return changed;
  }

  /**
   * lease: queued and due (or asked for explicitly), for one sender. `fresh` is the common case
   * in one statement: never tried (so the recorder still holds its password) and its guest
   * waits for exactly this send; otherwise the caller checks the guest before sending.
   */
  lease(id: number, lease: { owner: string; leaseUntil: string; at: string; ignoreSchedule?: boolean; fresh?: boolean }): boolean {
    return this.apply(lease.fresh ? LEASE_FRESH : LEASE_DUE, id, lease.at, lease.owner, {
      owner: lease.owner,
      leaseUntil: lease.leaseUntil,
      ...(lease.fresh ? {} : { ignoreSchedule: lease.ignoreSchedule ? 1 : 0 }),
    });
  }

  /**
   * start: the last check before a message goes to a connection (or a file). Committed before
   * the first byte, so a revoke that commits first stops it, one that commits later finds it
   * on its way, and after a crash only such messages are in doubt.
   */
  startHandover(id: number, owner: string, at: string): boolean {
    return this.apply(START, id, at, owner, { owner });
  }

  /** Settles a send, only if this sender still holds the lease. */
  finish(id: number, owner: string, outcome: Outcome): boolean {
    return this.apply(OUTCOMES[outcome.event], id, outcome.at, outcome.actor ?? owner, outcomeParams(owner, outcome));
  }

  /** cancel: a queued message, or a leased one whose SMTP transaction has not started. */
  cancel(id: number, from: OutboxState, why: { at: string; actor: string; reason: string }): boolean {
    return this.apply(CANCELS[from], id, why.at, why.actor, { reason: why.reason });
  }

  /** Cancels every email of a guest that has not started; counts those already on their way. */
  cancelAllOf(guestId: number, why: { at: string; actor: string; reason: string }): { cancelled: number; onTheirWay: number } {
    let cancelled = 0;
    let onTheirWay = 0;
    const open = this.sql
      .stmt(`SELECT id, state, handover_at AS handoverAt FROM outbox WHERE guest_id = ? AND state IN ('queued', 'sending')`)
      .all(guestId) as { id: number; state: 'queued' | 'sending'; handoverAt: string | null }[];
    for (const message of open) {
      if (message.state === 'sending' && message.handoverAt !== null) onTheirWay++;
      else if (this.cancel(message.id, message.state, why)) cancelled++;
    }
    return { cancelled, onTheirWay };
  }

  /** retry: failed or unknown back to the queue, due now. Its in-doubt mark stays. */
  retry(id: number, from: OutboxState, at: string, actor: string): boolean {
    return this.apply(RETRIES[from], id, at, actor);
  }

  /**
   * Leases whose time ran out belong to a sender that died (or stalled): a message whose SMTP
   * transaction had not started goes back to the queue; one that had is `unknown`, never resent
   * silently.
   */
  recoverAbandonedLeases(now: string, actor: string, ownerAlive: (owner: string) => boolean | undefined = () => undefined): { released: number; doubted: number } {
    // The lease owner's id is the guard; `actor` (the recovering process) is who settles it.
    let released = 0;
    let doubted = 0;
    // Leases whose time ran out, and those of a process known to be gone (no need to wait).
    const abandoned = (
      this.sql.stmt(`SELECT id, lease_owner AS owner, handover_at AS handoverAt, lease_expires_at <= ? AS expired FROM outbox WHERE state = 'sending'`).all(now) as {
        id: number;
        owner: string;
        handoverAt: string | null;
        expired: 0 | 1;
      }[]
    ).filter((m) => m.expired === 1 || ownerAlive(m.owner) === false);
    for (const message of abandoned) {
      if (message.handoverAt === null) {
        if (this.finish(message.id, message.owner, { event: 'release', at: now, nextAttemptAt: now, error: 'its sender stopped before sending it', actor })) {
          released++;
        }
      } else if (
        this.finish(message.id, message.owner, {
          event: 'doubt',
          at: now,
          error: 'the sender stopped during the send; it may or may not have been delivered',
          actor,
        })
      ) {
        doubted++;
      }
    }
    return { released, doubted };
  }
}
