import { inList, jsonRows, listParam, renameParameters, type Db, type Params } from './db.js';
import { CANCELS, LEASE, LEASE_DUE, LEASE_FRESH, OUTBOX_COLUMNS, OUTCOMES, outcomeParams, RETRIES, START, type StepKind } from './outbox-steps.js';
import type { OutboxMessage, OutboxRoute, OutboxState } from './types.js';

/**
 * The invite email's transitions (src/state/outbox.ts), one implementation for SQLite and
 * PostgreSQL: each step a compare-and-set on the row with its event in `outbox_events`, inside
 * the caller's write transaction, so a sender can take or settle many messages in one commit
 * and each one still holds or fails alone. PostgreSQL alone needs one thing more: taking due
 * messages skips rows another sender holds locked (`FOR UPDATE SKIP LOCKED`) instead of waiting.
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


/** `inDoubt` as 0 or 1 on both dialects (PostgreSQL's column is a boolean). */
function message(row: (Omit<OutboxMessage, 'inDoubt'> & { inDoubt: boolean | number }) | undefined): OutboxMessage | undefined {
  return row && { ...row, inDoubt: row.inDoubt === true || row.inDoubt === 1 ? 1 : 0 };
}

/**
 * PostgreSQL: of the messages `@ids`, the queued ones no other transaction holds, locked in id
 * order (two senders never wait for each other, and never deadlock). `lockable` and `leaseFresh`.
 */
const LOCK_QUEUED = `SELECT id FROM outbox WHERE id = ANY(@ids) AND state = 'queued' ORDER BY id FOR UPDATE SKIP LOCKED`;

/** One step of the table on one row, as `applyAll` takes it. */
interface Step {
  kind: StepKind | undefined;
  id: number;
  at: string;
  actor: string;
  params: Params;
}

/** The invite emails: one row per send, recorded with its invite, and the table of their transitions. */
export class OutboxRepository {
  constructor(private readonly db: Db) {}

  // ── rows ─────────────────────────────────────────────────────────────────

  async insert(m: NewOutboxMessage): Promise<number> {
    const row = await this.db.get<{ id: number }>(
      `INSERT INTO outbox (guest_id, send_number, message_id, recipient, inviter, custom_message, expires_at, next_attempt_at, created_at, route, link_token)
       VALUES (@guestId, @sendNumber, @messageId, @recipient, @inviter, @customMessage, @expiresAt, @createdAt, @createdAt, @route, @linkToken) RETURNING id`,
      m,
    );
    return row!.id;
  }

  /** Many new emails in one statement: their row ids by Message-ID. */
  async insertMany(messages: readonly NewOutboxMessage[]): Promise<Map<string, number>> {
    if (messages.length === 0) return new Map();
    const source = jsonRows(this.db.dialect, 'rows', [
      ['guestId', 'integer'],
      ['sendNumber', 'integer'],
      ['messageId', 'text'],
      ['recipient', 'text'],
      ['inviter', 'text'],
      ['customMessage', 'text'],
      ['expiresAt', 'timestamptz'],
      ['createdAt', 'timestamptz'],
      ['route', 'text'],
      ['linkToken', 'text'],
    ]);
    const rows = await this.db.all<{ id: number; messageId: string }>(
      `INSERT INTO outbox (guest_id, send_number, message_id, recipient, inviter, custom_message, expires_at, next_attempt_at, created_at, route, link_token)
       SELECT "guestId", "sendNumber", "messageId", recipient, inviter, "customMessage", "expiresAt", "createdAt", "createdAt", route, "linkToken"
         FROM (SELECT ${source.select} FROM ${source.from}) AS given
       RETURNING id, message_id AS "messageId"`,
      { rows: JSON.stringify(messages) },
    );
    return new Map(rows.map((r) => [r.messageId, r.id]));
  }

  /** The states of these emails, by id (one statement for a batch). */
  async statesOf(ids: readonly number[]): Promise<Map<number, OutboxState>> {
    if (ids.length === 0) return new Map();
    const rows = await this.db.all<{ id: number; state: OutboxState }>(`SELECT id, state FROM outbox WHERE ${inList(this.db.dialect, 'id', 'ids')}`, {
      ids: listParam(this.db.dialect, ids),
    });
    return new Map(rows.map((r) => [r.id, r.state]));
  }

  async get(id: number): Promise<OutboxMessage | undefined> {
    return message(await this.db.get(`SELECT ${OUTBOX_COLUMNS} FROM outbox WHERE id = @id`, { id }));
  }

  due(now: string, limit: number): Promise<{ id: number; route: OutboxRoute | null }[]> {
    return this.db.all(`SELECT id, route FROM outbox WHERE state = 'queued' AND next_attempt_at <= @now ORDER BY next_attempt_at, id LIMIT @limit`, { now, limit });
  }

  async waiting(now: string): Promise<{ count: number; next: string | null }> {
    const row = await this.db.get<{ count: number | string; next: string | null }>(
      `SELECT count(*) AS count, min(next_attempt_at) AS next FROM outbox WHERE state = 'queued' AND next_attempt_at > @now`,
      { now },
    );
    return { count: Number(row!.count), next: row!.next };
  }

  async idsIn(state: OutboxState): Promise<number[]> {
    return (await this.db.all<{ id: number }>(`SELECT id FROM outbox WHERE state = @state ORDER BY id`, { state })).map((r) => r.id);
  }

  async list(state?: OutboxState): Promise<OutboxMessage[]> {
    const rows = await this.db.all<Parameters<typeof message>[0]>(
      `SELECT ${OUTBOX_COLUMNS} FROM outbox WHERE CAST(@state AS TEXT) IS NULL OR state = @state ORDER BY id`,
      { state: state ?? null },
    );
    return rows.map((r) => message(r)!);
  }

  async ofGuest(guestId: number): Promise<OutboxMessage[]> {
    const rows = await this.db.all<Parameters<typeof message>[0]>(`SELECT ${OUTBOX_COLUMNS} FROM outbox WHERE guest_id = @guestId ORDER BY id`, { guestId });
    return rows.map((r) => message(r)!);
  }

  async counts(): Promise<Record<OutboxState, number>> {
    const counts: Record<OutboxState, number> = { queued: 0, sending: 0, sent: 0, failed: 0, unknown: 0 };
    for (const row of await this.db.all<{ state: OutboxState; n: number | string }>(`SELECT state, count(*) AS n FROM outbox GROUP BY state`)) {
      // PostgreSQL's count() is a bigint, which node-postgres hands over as text.
      counts[row.state] = Number(row.n);
    }
    return counts;
  }

  // ── transitions ──────────────────────────────────────────────────────────

  private async apply(kind: StepKind | undefined, id: number, at: string, actor: string, params: Params = {}): Promise<boolean> {
    return (await this.applyAll([{ kind, id, at, actor, params }]))[0]!;
  }

  /**
   * Steps of the table, each a compare-and-set on its row with its event in `outbox_events`
   * (a step with no row in the table, `kind` undefined, does nothing): which ones held. On
   * PostgreSQL all of them are one statement, a step per data-modifying WITH, all or nothing
   * like the statements it replaces (one round trip); on SQLite two statements a step, in the
   * caller's transaction.
   */
  private async applyAll(steps: readonly Step[]): Promise<boolean[]> {
    if (this.db.dialect !== 'postgres') {
      const held: boolean[] = [];
      for (const { kind, id, at, actor, params } of steps) {
        const changed = kind !== undefined && (await this.db.run(kind.sql, { ...params, id, at })) === 1;
        if (changed) {
          await this.db.run(`INSERT INTO outbox_events (outbox_id, at, actor, event, from_state, to_state) VALUES (@id, @at, @actor, @event, @from, @to)`, {
            id,
            at,
            actor,
            event: kind.event,
            from: kind.from,
            to: kind.to,
          });
        }
        held.push(changed);
      }
      return held;
    }
    if (steps.length === 0) return [];
    // Steps sorted by kind: the statement's text depends only on how many of each (a few dozen
    // shapes, each prepared once per connection).
    const order = steps.map((step, i) => ({ step, i })).sort((a, b) => (a.step.kind?.event ?? '').localeCompare(b.step.kind?.event ?? '') || a.i - b.i);
    const parts: string[] = [];
    const counts: string[] = [];
    const params: Params = {};
    order.forEach(({ step }, n) => {
      if (!step.kind) {
        counts.push(`0 AS s${n}`);
        return;
      }
      const p = (name: string) => `s${n}_${name}`;
      parts.push(
        `m${n} AS (${renameParameters(step.kind.sql, p)} RETURNING id)`,
        `e${n} AS (INSERT INTO outbox_events (outbox_id, at, actor, event, from_state, to_state)
                   SELECT id, @${p('at')}, @${p('actor')}, '${step.kind.event}', '${step.kind.from}', '${step.kind.to}' FROM m${n})`,
      );
      counts.push(`(SELECT count(*) FROM m${n}) AS s${n}`);
      for (const [name, value] of Object.entries({ ...step.params, id: step.id, at: step.at, actor: step.actor })) params[p(name)] = value;
    });
    const row = (await this.db.get<Record<string, number | string>>(`${parts.length ? `WITH ${parts.join(',\n')} ` : ''}SELECT ${counts.join(', ')}`, params))!;
    const held: boolean[] = [];
    order.forEach(({ i }, n) => (held[i] = Number(row[`s${n}`]) === 1));
    return held;
  }

  /** lease: queued and due (or asked for explicitly), for one sender. Emails this run recorded go together through `leaseFresh`. */
  lease(id: number, lease: { owner: string; leaseUntil: string; at: string; ignoreSchedule?: boolean }): Promise<boolean> {
    return this.apply(LEASE_DUE, id, lease.at, lease.owner, { owner: lease.owner, leaseUntil: lease.leaseUntil, ignoreSchedule: lease.ignoreSchedule === true });
  }

  /**
   * Of these messages, those this transaction may lease without waiting: on PostgreSQL the
   * queued ones no other transaction holds, locked now in id order (`FOR UPDATE SKIP LOCKED`),
   * so two senders' claims never wait for each other (and never deadlock: two runs on two
   * machines can pick up the same email, e.g. one the other recorded a moment ago). SQLite has
   * one writer at a time: all of them.
   */
  async lockable(ids: readonly number[]): Promise<Set<number>> {
    if (this.db.dialect !== 'postgres' || ids.length === 0) return new Set(ids);
    const rows = await this.db.all<{ id: number }>(LOCK_QUEUED, { ids });
    return new Set(rows.map((r) => r.id));
  }

  /**
   * lease for many messages at once, each only if `fresh` (see `lease`): the ids leased. On
   * PostgreSQL one statement (the events in it too) that skips rows another transaction holds
   * locked, taking the others in id order (as `lockable`), so it is safe on its own, outside a
   * transaction: a run's new emails are leased in one round trip. Two statements on SQLite.
   */
  async leaseFresh(ids: readonly number[], lease: { owner: string; leaseUntil: string; at: string }): Promise<Set<number>> {
    if (ids.length === 0) return new Set();
    const kind = LEASE_FRESH!;
    const params = { ...lease, ids: listParam(this.db.dialect, ids), event: kind.event, from: kind.from, to: kind.to };
    if (this.db.dialect === 'postgres') {
      const rows = await this.db.all<{ id: number }>(
        `WITH locked AS MATERIALIZED (${LOCK_QUEUED}),
              moved AS (${kind.onRows('id IN (SELECT id FROM locked)')} RETURNING id),
              logged AS (INSERT INTO outbox_events (outbox_id, at, actor, event, from_state, to_state) SELECT id, @at, @owner, @event, @from, @to FROM moved)
         SELECT id FROM moved`,
        params,
      );
      return new Set(rows.map((r) => r.id));
    }
    const update = kind.onRows(inList(this.db.dialect, 'id', 'ids'));
    const leased = (await this.db.all<{ id: number }>(`${update} RETURNING id`, params)).map((r) => r.id);
    await this.db.run(
      `INSERT INTO outbox_events (outbox_id, at, actor, event, from_state, to_state) SELECT value, @at, @owner, @event, @from, @to FROM json_each(@leased)`,
      { ...params, leased: JSON.stringify(leased) },
    );
    return new Set(leased);
  }

  /**
   * Leases up to `limit` due messages for one sender and returns their ids. On PostgreSQL, rows
   * another sender has locked are skipped, not waited for (`FOR UPDATE SKIP LOCKED`): many
   * machines flushing one queue each take different messages, none blocks. SQLite has one
   * writer at a time, so the same statement without the clause does the same there.
   */
  async leaseDue(lease: { owner: string; leaseUntil: string; at: string; limit: number }): Promise<number[]> {
    const skipLocked = this.db.dialect === 'postgres' ? ' FOR UPDATE SKIP LOCKED' : '';
    // A materialized CTE, evaluated once: PostgreSQL may run an `IN (subquery)` again for each
    // row it updates, each time finding the next due rows, and so lease them all.
    const rows = await this.db.all<{ id: number }>(
      `WITH picked AS MATERIALIZED (SELECT id FROM outbox WHERE state = 'queued' AND next_attempt_at <= @at ORDER BY next_attempt_at, id LIMIT @limit${skipLocked})
       UPDATE outbox SET state = 'sending', ${LEASE} FROM picked WHERE outbox.id = picked.id AND outbox.state = 'queued'
       RETURNING outbox.id AS id`,
      lease,
    );
    const ids = rows.map((r) => r.id).sort((a, b) => a - b);
    for (const id of ids) {
      await this.db.run(`INSERT INTO outbox_events (outbox_id, at, actor, event, from_state, to_state) VALUES (@id, @at, @owner, 'lease', 'queued', 'sending')`, {
        id,
        at: lease.at,
        owner: lease.owner,
      });
    }
    return ids;
  }

  startHandover(id: number, owner: string, at: string): Promise<boolean> {
    return this.apply(START, id, at, owner, { owner });
  }

  finish(id: number, owner: string, outcome: Outcome): Promise<boolean> {
    return this.apply(OUTCOMES[outcome.event], id, outcome.at, outcome.actor ?? owner, outcomeParams(owner, outcome));
  }

  /**
   * One sender's outcomes (`finish` each) and hand-over marks (`startHandover` each): which of
   * each held. On PostgreSQL all of it is one statement, a step per data-modifying WITH (one
   * round trip for whatever a sender had to record); on SQLite one statement per step, in the
   * caller's transaction.
   */
  async settle(
    owner: string,
    outcomes: readonly { id: number; outcome: Outcome }[],
    starts: readonly { id: number; at: string }[] = [],
  ): Promise<{ settled: boolean[]; started: boolean[] }> {
    const steps: Step[] = outcomes.map(({ id, outcome }) => ({ kind: OUTCOMES[outcome.event], id, at: outcome.at, actor: outcome.actor ?? owner, params: outcomeParams(owner, outcome) }));
    for (const start of starts) steps.push({ kind: START, id: start.id, at: start.at, actor: owner, params: { owner } });
    const held = await this.applyAll(steps);
    return { settled: held.slice(0, outcomes.length), started: held.slice(outcomes.length) };
  }

  cancel(id: number, from: OutboxState, why: { at: string; actor: string; reason: string }): Promise<boolean> {
    return this.apply(CANCELS[from], id, why.at, why.actor, { reason: why.reason });
  }

  /** Cancels every email of a guest that has not started; counts those already on their way. */
  async cancelAllOf(guestId: number, why: { at: string; actor: string; reason: string }): Promise<{ cancelled: number; onTheirWay: number }> {
    let cancelled = 0;
    let onTheirWay = 0;
    const open = await this.db.all<{ id: number; state: 'queued' | 'sending'; handoverAt: string | null }>(
      `SELECT id, state, handover_at AS "handoverAt" FROM outbox WHERE guest_id = @guestId AND state IN ('queued', 'sending') ORDER BY id`,
      { guestId },
    );
    for (const m of open) {
      if (m.state === 'sending' && m.handoverAt !== null) onTheirWay++;
      else if (await this.cancel(m.id, m.state, why)) cancelled++;
    }
    return { cancelled, onTheirWay };
  }

  retry(id: number, from: OutboxState, at: string, actor: string): Promise<boolean> {
    return this.apply(RETRIES[from], id, at, actor);
  }

  /**
   * Leases whose time ran out, or whose process is known to be gone: a message whose SMTP
   * transaction had not started goes back to the queue; one that had is `unknown`.
   */
  async recoverAbandonedLeases(now: string, actor: string, ownerAlive: (owner: string) => boolean | undefined = () => undefined): Promise<{ released: number; doubted: number }> {
    let released = 0;
    let doubted = 0;
    const leased = await this.db.all<{ id: number; owner: string; handoverAt: string | null; expired: boolean | number }>(
      `SELECT id, lease_owner AS owner, handover_at AS "handoverAt", lease_expires_at <= @now AS expired FROM outbox WHERE state = 'sending' ORDER BY id`,
      { now },
    );
    for (const m of leased.filter((l) => l.expired === true || l.expired === 1 || ownerAlive(l.owner) === false)) {
      if (m.handoverAt === null) {
        if (await this.finish(m.id, m.owner, { event: 'release', at: now, nextAttemptAt: now, error: 'its sender stopped before sending it', actor })) released++;
      } else if (await this.finish(m.id, m.owner, { event: 'doubt', at: now, error: 'the sender stopped during the send; it may or may not have been delivered', actor })) {
        doubted++;
      }
    }
    return { released, doubted };
  }
}
