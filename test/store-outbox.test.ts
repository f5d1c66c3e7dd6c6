import { OutboxRepository } from '../src/store/outbox.js';
import type { Db } from '../src/store/db.js';
import { nextOutboxState, OUTBOX_EVENTS, OUTBOX_STATES, type OutboxEvent, type OutboxState } from '../src/state/outbox.js';
import { bothStores } from './stores.js';

/**
 * The outbox repository, one implementation run on both stores: every
 * (state, event) pair of the table moves the row and writes exactly one event, or changes
 * nothing; the guards beyond the state hold; and on PostgreSQL, senders taking due messages at
 * once skip each other's rows instead of waiting (FOR UPDATE SKIP LOCKED).
 */

const STORES = bothStores({ pgConnections: 6 });

const NOW = '2026-11-23T10:00:00.000Z';
const OWNER = 'host/1/1/abc';
const LEASE = { owner: OWNER, leaseUntil: '2026-11-23T10:03:00.000Z', at: NOW };

/** A pending guest and `count` queued emails of their current send (send_number 1). */
async function seed(db: Db, count = 1, email = 'ada@partner.example'): Promise<{ guestId: number; ids: number[] }> {
  const guest = await db.get<{ id: number }>(
    `INSERT INTO guests (email, email_key, status, invited_by, invited_at, expires_at, send_count) VALUES (@email, @email, 'pending', 'o@acme.example', @now, '2026-11-30T10:00:00.000Z', 1) RETURNING id`,
    { email, now: NOW },
  );
  const outbox = new OutboxRepository(db);
  const ids: number[] = [];
  for (let i = 0; i < count; i++) {
    ids.push(
      await outbox.insert({
        guestId: guest!.id,
        sendNumber: i === 0 ? 1 : 1 + i * 100,
        messageId: `<${email}.${i}@acme.example>`,
        recipient: email,
        inviter: 'o@acme.example',
        customMessage: null,
        expiresAt: '2026-11-30T10:00:00.000Z',
        createdAt: NOW,
        route: 'smtp',
        linkToken: `tok${i}`,
      }),
    );
  }
  return { guestId: guest!.id, ids };
}

async function messageIn(db: Db, state: OutboxState): Promise<number> {
  const outbox = new OutboxRepository(db);
  const { ids } = await seed(db);
  const id = ids[0]!;
  if (state !== 'queued') {
    await db.write(async (tx) => {
      const o = new OutboxRepository(tx);
      expect((await o.leaseFresh([id], LEASE)).has(id)).toBe(true);
      if (state === 'sent') await o.finish(id, OWNER, { event: 'deliver', at: NOW });
      if (state === 'failed') await o.finish(id, OWNER, { event: 'reject', at: NOW, error: '550 no' });
      if (state === 'unknown') await o.finish(id, OWNER, { event: 'doubt', at: NOW, error: 'dropped' });
    });
  }
  expect((await outbox.get(id))!.state).toBe(state);
  return id;
}

function applyEvent(db: Db, id: number, from: OutboxState, event: OutboxEvent): Promise<boolean> {
  return db.write((tx) => {
    const o = new OutboxRepository(tx);
    switch (event) {
      case 'lease':
        return o.lease(id, { ...LEASE, ignoreSchedule: true });
      case 'start':
        return o.startHandover(id, OWNER, NOW);
      case 'deliver':
      case 'reject':
      case 'doubt':
      case 'release':
        return o.finish(id, OWNER, { event, at: NOW });
      case 'cancel':
        return o.cancel(id, from, { at: NOW, actor: 'owner@acme.example', reason: 'revoked' });
      case 'retry':
        return o.retry(id, from, NOW, 'owner@acme.example');
    }
  });
}

const eventsOf = (db: Db, id: number) =>
  db.all<{ event: string; from: string; to: string }>(`SELECT event, from_state AS "from", to_state AS "to" FROM outbox_events WHERE outbox_id = @id ORDER BY id`, { id });

describe.each(STORES)('%s', (_name, open) => {
  let db: Db;
  beforeEach(async () => {
    db = await open();
  });
  afterEach(() => db.close());

  test('every (state, event): allowed pairs move the row and write one event; the others change nothing', async () => {
    for (const state of OUTBOX_STATES) {
      for (const event of OUTBOX_EVENTS) {
        const id = await messageIn(db, state);
        const outbox = new OutboxRepository(db);
        const before = { row: await outbox.get(id), events: await eventsOf(db, id) };
        const expected = nextOutboxState(state, event);
        const moved = await applyEvent(db, id, state, event);
        const after = { row: await outbox.get(id), events: await eventsOf(db, id) };
        if (expected === undefined) {
          expect({ state, event, moved, row: after.row, events: after.events.length }).toEqual({ state, event, moved: false, row: before.row, events: before.events.length });
        } else {
          expect({ state, event, moved, to: after.row!.state }).toEqual({ state, event, moved: true, to: expected });
          expect(after.events.slice(before.events.length)).toEqual([{ event, from: state, to: expected }]);
        }
        // A fresh guest for the next pair: one guest per address.
        await db.run(`DELETE FROM outbox_events`);
        await db.run(`DELETE FROM outbox`);
        await db.run(`DELETE FROM guests`);
      }
    }
  });

  test('values come back the same on both stores: timestamps, in doubt as 0/1, attempts never below 0', async () => {
    const id = await messageIn(db, 'unknown');
    const row = await new OutboxRepository(db).get(id);
    expect(row).toMatchObject({ state: 'unknown', inDoubt: 1, attempts: 1, leaseOwner: null, lastError: 'dropped', createdAt: NOW, nextAttemptAt: NOW, linkToken: 'tok0' });
    await db.write(async (tx) => {
      const o = new OutboxRepository(tx);
      await o.retry(id, 'unknown', NOW, 'x');
      await o.lease(id, { ...LEASE, ignoreSchedule: true });
      await o.finish(id, OWNER, { event: 'release', at: NOW, extraAttempts: -5 });
    });
    expect(await new OutboxRepository(db).get(id)).toMatchObject({ state: 'queued', attempts: 0, inDoubt: 1 });
  });

  test('the guards beyond the state: another lease owner, a revoked guest, a started hand-over', async () => {
    const id = await messageIn(db, 'sending');
    await db.write(async (tx) => {
      const o = new OutboxRepository(tx);
      expect(await o.finish(id, 'someone-else', { event: 'deliver', at: NOW })).toBe(false);
      expect(await o.startHandover(id, 'someone-else', NOW)).toBe(false);
      expect(await o.startHandover(id, OWNER, NOW)).toBe(true);
      // Its SMTP transaction started: a revoke can no longer cancel it.
      expect(await o.cancel(id, 'sending', { at: NOW, actor: 'x', reason: 'revoked' })).toBe(false);
    });
    const other = await seed(db, 1, 'bo@partner.example');
    await db.run(`UPDATE guests SET status = 'revoked' WHERE id = @id`, { id: other.guestId });
    await db.write(async (tx) => {
      const o = new OutboxRepository(tx);
      // A fresh lease needs its guest to wait for it; so does the hand-over.
      expect((await o.leaseFresh([other.ids[0]!], LEASE)).has(other.ids[0]!)).toBe(false);
      expect(await o.lease(other.ids[0]!, { ...LEASE, ignoreSchedule: true })).toBe(true);
      expect(await o.startHandover(other.ids[0]!, OWNER, NOW)).toBe(false);
    });
  });

  test('a revoke cancels what has not started and counts what has; dead senders\' leases are settled by whether their send had started', async () => {
    const { guestId, ids } = await seed(db, 3);
    const [queued, leased, started] = ids as [number, number, number];
    await db.write(async (tx) => {
      const o = new OutboxRepository(tx);
      await o.lease(leased, { ...LEASE, ignoreSchedule: true });
      await o.lease(started, { ...LEASE, ignoreSchedule: true });
      // The guest waits for send 1 only: the hand-over check passes for that one.
      await tx.run(`UPDATE guests SET send_count = @n WHERE id = @id`, { n: 201, id: guestId });
      expect(await o.startHandover(started, OWNER, NOW)).toBe(true);
    });
    const outbox = new OutboxRepository(db);
    expect(await db.write((tx) => new OutboxRepository(tx).cancelAllOf(guestId, { at: NOW, actor: 'o', reason: 'revoked' }))).toEqual({ cancelled: 2, onTheirWay: 1 });
    expect((await outbox.ofGuest(guestId)).map((m) => m.state)).toEqual(['failed', 'failed', 'sending']);
    expect(await outbox.idsIn('failed')).toEqual([queued, leased]);

    // Its sender died: the lease ran out (or its process is known gone); it had started, so it is in doubt.
    const later = '2026-11-23T10:05:00.000Z';
    expect(await db.write((tx) => new OutboxRepository(tx).recoverAbandonedLeases(NOW, 'recoverer'))).toEqual({ released: 0, doubted: 0 });
    expect(await db.write((tx) => new OutboxRepository(tx).recoverAbandonedLeases(later, 'recoverer'))).toEqual({ released: 0, doubted: 1 });
    expect(await outbox.get(started)).toMatchObject({ state: 'unknown', inDoubt: 1 });

    const other = await seed(db, 1, 'cy@partner.example');
    await db.write((tx) => new OutboxRepository(tx).lease(other.ids[0]!, { ...LEASE, ignoreSchedule: true }));
    expect(await db.write((tx) => new OutboxRepository(tx).recoverAbandonedLeases(NOW, 'recoverer', (owner) => owner !== OWNER))).toEqual({ released: 1, doubted: 0 });
    expect((await outbox.list('queued')).map((m) => m.id)).toEqual(other.ids);
    expect(await outbox.waiting(NOW)).toEqual({ count: 0, next: null });
    expect((await outbox.list()).length).toBe(4);
  });

  test('a batch of fresh leases, then outcomes and the next hand-over in one settle: each step as alone, stale ones refused', async () => {
    const { ids } = await seed(db, 3);
    const [a, b, c] = ids as [number, number, number];
    const e = (await seed(db, 1, 'bo@partner.example')).ids[0]!;
    // Only a and e are fresh (their guest's current send, never tried); b and c are older sends.
    const fresh = await db.write((tx) => new OutboxRepository(tx).leaseFresh([a, b, c, e], LEASE));
    expect([...fresh].sort((x, y) => x - y)).toEqual([a, e]);
    await db.write(async (tx) => {
      const o = new OutboxRepository(tx);
      expect(await o.lease(b, { ...LEASE, ignoreSchedule: true })).toBe(true);
      expect(await o.lease(c, { ...LEASE, owner: 'another sender', ignoreSchedule: true })).toBe(true);
      expect(await o.startHandover(a, OWNER, NOW)).toBe(true);
    });
    const result = await db.write(
      (tx) =>
        new OutboxRepository(tx).settle(
          OWNER,
          [
            { id: a, outcome: { event: 'deliver', at: NOW, smtpResponse: '250 ok' } },
            { id: b, outcome: { event: 'doubt', at: NOW, error: 'dropped' } },
            // Another sender's lease: refused, and nothing else undone by it.
            { id: c, outcome: { event: 'reject', at: NOW, error: '550' } },
          ],
          // Marks of two messages: e's holds; c is another sender's lease, so its mark is refused.
          [
            { id: e, at: NOW },
            { id: c, at: NOW },
          ],
        ),
      { relaxed: true, single: true },
    );
    expect(result).toEqual({ settled: [true, true, false], started: [true, false] });
    const o = new OutboxRepository(db);
    expect(await Promise.all([a, b, c, e].map(async (id) => (await o.get(id))!.state))).toEqual(['sent', 'unknown', 'sending', 'sending']);
    expect(await o.get(a)).toMatchObject({ smtpResponse: '250 ok', inDoubt: 0 });
    expect(await o.get(e)).toMatchObject({ handoverAt: NOW });
    const events = await db.all<{ message: number; event: string }>(`SELECT outbox_id AS message, event FROM outbox_events ORDER BY outbox_events.id`);
    const of = (id: number) => events.filter((ev) => ev.message === id).map((ev) => ev.event);
    expect([of(a), of(b), of(c), of(e)]).toEqual([['lease', 'start', 'deliver'], ['lease', 'doubt'], ['lease'], ['lease', 'start']]);
    // A hand-over the guest no longer waits for (b is not their current send): refused.
    expect(await db.write((tx) => new OutboxRepository(tx).settle(OWNER, [], [{ id: b, at: NOW }]), { relaxed: true, single: true })).toEqual({ settled: [], started: [false] });
  });

  test('two claims of the same emails at once: the second leases what the first does not hold, without waiting (no deadlock)', async () => {
    const { ids } = await seed(db, 4);
    const [a, b, c, d] = ids as [number, number, number, number];
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const first = db.write(async (tx) => {
      const o = new OutboxRepository(tx);
      const mine = await o.lockable([c, a]);
      for (const id of mine) await o.lease(id, { ...LEASE, owner: 'first', ignoreSchedule: true });
      await held;
      return mine;
    });
    // The other order, as another run's claim may have it.
    const second = db.write(async (tx) => {
      const o = new OutboxRepository(tx);
      const mine = await o.lockable([d, c, b, a]);
      for (const id of mine) await o.lease(id, { ...LEASE, owner: 'second', ignoreSchedule: true });
      return mine;
    });
    if (db.dialect === 'postgres') {
      // Resolved while the first still holds a and c: it skipped them rather than wait.
      expect([...(await second.finally(release))].sort((x, y) => x - y)).toEqual([b, d]);
    }
    release();
    const [mine1, mine2] = await Promise.all([first, second]);
    expect([...mine1].sort((x, y) => x - y)).toEqual([a, c]);
    // SQLite: one writer at a time; the second came after and found a and c leased already.
    const o = new OutboxRepository(db);
    expect(await Promise.all(ids.map(async (id) => (await o.get(id))!.leaseOwner))).toEqual(['first', 'second', 'first', 'second']);
    expect(mine2.has(b) && mine2.has(d)).toBe(true);
  });

  test('two senders taking due messages at once get different ones, and neither waits for the other', async () => {
    const { ids } = await seed(db, 6);
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const first = db.write(async (tx) => {
      const taken = await new OutboxRepository(tx).leaseDue({ ...LEASE, owner: 'first', limit: 3 });
      await held;
      return taken;
    });
    // PostgreSQL: the second runs while the first holds its rows locked, and skips them.
    // SQLite (one writer per process): the second runs after the first, and finds them taken.
    const second = db.write((tx) => new OutboxRepository(tx).leaseDue({ ...LEASE, owner: 'second', limit: 3 }));
    if (db.dialect === 'postgres') {
      // Resolved while the first still holds its three: it did not wait. (Released either way, so a failure cannot hang.)
      const early = await second.finally(release);
      expect(early).toHaveLength(3);
    }
    release();
    const [a, b] = await Promise.all([first, second]);
    expect([...a, ...b].sort((x, y) => x - y)).toEqual(ids);
    expect(a.filter((id) => b.includes(id))).toEqual([]);
    expect((await new OutboxRepository(db).counts()).sending).toBe(6);
  });
});
