import fs from 'node:fs';
import { recordInviteSend } from '../src/invites/record.js';
import { newHmacKey, newInstanceId } from '../src/crypto/temp-password.js';
import { GUEST_EVENTS, GUEST_STATES, GUEST_TRANSITIONS, nextGuestState, type GuestEvent, type GuestState } from '../src/state/guest.js';
import { nextOutboxState, OUTBOX_EVENTS, OUTBOX_STATES, OUTBOX_TRANSITIONS, type OutboxEvent, type OutboxState } from '../src/state/outbox.js';
import { nextSetupState, SETUP_EVENTS, SETUP_STATES, SETUP_TRANSITIONS, type SetupEvent, type SetupState } from '../src/state/setup.js';
import { guestState, type StepResult } from '../src/store/guests.js';
import { Store } from '../src/store/store.js';
import type { Guest, Workspace } from '../src/store/types.js';
import { bothStores, type OpenDb } from './stores.js';

/**
 * Every (state, event) pair of each machine, applied by the store to a row in that state:
 * an allowed pair moves the row where the table says and writes exactly one audit event;
 * a refused pair changes nothing at all. On both stores, SQLite and PostgreSQL.
 */

const STORES = bothStores();
/** The kind of store the tests running now use (set by the describe.each below), and the stores they opened. */
let openDb: OpenDb;
const opened: Store[] = [];
afterEach(async () => {
  for (const store of opened.splice(0)) await store.close();
});

const T0 = new Date('2026-11-23T10:00:00.000Z');
const NOW = T0.toISOString();
const AFTER_EXPIRY = new Date(T0.getTime() + 8 * 86_400_000).toISOString();
const OWNER = 'deliverer-1';

async function freshStore(): Promise<{ store: Store; workspace: Workspace }> {
  const store = new Store(await openDb(), 'state machines');
  opened.push(store);
  const workspace: Workspace = {
    name: 'Acme',
    signInUrl: 'https://acme.example',
    sender: 'no-reply@acme.example',
    inviteTtlSeconds: 7 * 86_400,
    hmacKey: newHmacKey(),
    instanceId: newInstanceId(),
    createdAt: NOW,
  };
  await store.write((tx) => tx.workspace.create(workspace));
  return { store, workspace };
}

async function invite(store: Store, workspace: Workspace, email = 'ada@partner.example'): Promise<Guest> {
  const sent = await store.write(async (tx) =>
    recordInviteSend(tx, workspace, T0, { email, name: null, familyName: null, message: null, actor: 'owner@acme.example', invitedVia: 'members', action: 'invite' }),
  );
  return (await store.guests.get(sent!.guestId))!;
}

function applied(result: StepResult): Guest {
  if (!result.applied) throw new Error('a step needed to build the fixture was refused');
  return result.guest;
}

// Read as they are stored, past the repositories (PostgreSQL's count() is a bigint, given as text).
const counts = async (store: Store) => {
  const row = (await store.db.get<{ audit: number | string; events: number | string }>(`SELECT (SELECT count(*) FROM audit) AS audit, (SELECT count(*) FROM outbox_events) AS events`))!;
  return { audit: Number(row.audit), events: Number(row.events) };
};
const rowOf = (store: Store, table: string, id: number) => store.db.get(`SELECT * FROM ${table} WHERE id = @id`, { id });
const countOf = async (store: Store, table: string) => ({ n: Number((await store.db.get<{ n: number | string }>(`SELECT count(*) AS n FROM ${table}`))!.n) });

// ── guest lifecycle ─────────────────────────────────────────────────────────

/** A guest in `state`, with their own password set where the state allows it (so `join` can apply). */
async function guestIn(state: GuestState): Promise<{ store: Store; workspace: Workspace; guest: Guest; now: string }> {
  const { store, workspace } = await freshStore();
  let guest = await invite(store, workspace);
  guest = applied(await store.guests.setOwnPassword(guest, { now: NOW, hash: 'scrypt$x', name: 'Ada', familyName: 'L' }));
  if (state === 'joined') guest = applied(await store.guests.acceptTerms(guest, NOW));
  if (state === 'revoked') guest = applied(await store.guests.revoke(guest, { now: NOW, actor: 'owner@acme.example' }));
  return { store, workspace, guest, now: state === 'expired' ? AFTER_EXPIRY : NOW };
}

async function applyGuestEvent(store: Store, guest: Guest, event: Exclude<GuestEvent, 'expire'>, now: string): Promise<StepResult> {
  const send = { now, actor: 'owner@acme.example', expiresAt: '2027-01-01T00:00:00.000Z', detail: {} };
  switch (event) {
    case 'resend':
      return await store.guests.resend(guest, send);
    case 'invite-again':
      return await store.guests.inviteAgain(guest, { ...send, invitedBy: 'owner@acme.example', invitedVia: 'members', message: null, partnerId: null, partnerRole: null, name: null, familyName: null });
    case 'join':
      return await store.guests.acceptTerms(guest, now);
    case 'revoke':
      return await store.guests.revoke(guest, { now, actor: 'owner@acme.example' });
  }
}

describe.each(STORES)('%s', (_store, open) => {
  beforeAll(() => {
    openDb = open;
  });

  describe('guest lifecycle: every (state, event)', () => {
    const pairs = GUEST_STATES.flatMap((state) => GUEST_EVENTS.filter((e) => e !== 'expire').map((event) => [state, event] as const));
    test.each(pairs)('%s + %s', async (state, event) => {
      const { store, guest, now } = await guestIn(state);
      expect(guestState(guest, now)).toBe(state);
      const before = { row: await rowOf(store, 'guests', guest.id), counts: await counts(store) };
      const expected = nextGuestState(state, event);
      const result = await applyGuestEvent(store, guest, event, now);
      const after = (await store.guests.get(guest.id))!;
      if (expected === undefined) {
        expect(result.applied).toBe(false);
        expect(await rowOf(store, 'guests', guest.id)).toEqual(before.row);
        expect((await counts(store)).audit).toBe(before.counts.audit);
      } else {
        expect(result.applied).toBe(true);
        expect(guestState(after, now)).toBe(expected);
        expect(after.version).toBe(guest.version + 1);
        expect((await counts(store)).audit).toBe(before.counts.audit + 1);
      }
    });

    test('expire is the clock alone: nothing is written, and the same row reads pending before and expired after', async () => {
      const { store, guest } = await guestIn('pending');
      expect(GUEST_TRANSITIONS.find((t) => t.event === 'expire')).toMatchObject({ from: 'pending', to: 'expired' });
      expect(guestState(guest, NOW)).toBe('pending');
      expect(guestState(guest, AFTER_EXPIRY)).toBe('expired');
      // Nothing in the store says expired: the row is as it was.
      expect(await store.guests.get(guest.id)).toEqual(guest);
    });

    test('a step computed from a stale read is refused and changes nothing (the compare-and-set)', async () => {
      const { store, guest } = await guestIn('pending');
      applied(await store.guests.revoke(guest, { now: NOW, actor: 'owner@acme.example' }));
      const row = await rowOf(store, 'guests', guest.id);
      const audit = (await counts(store)).audit;
      // `guest` still says pending at the old version: joining from it must not resurrect the invite.
      const result = await store.guests.acceptTerms(guest, NOW);
      expect(result).toMatchObject({ applied: false, current: { status: 'revoked' } });
      expect(await rowOf(store, 'guests', guest.id)).toEqual(row);
      expect((await counts(store)).audit).toBe(audit);
    });
  });
});

// ── account setup ───────────────────────────────────────────────────────────

const TOTP_STEP = 59_000_000;

/** A guest whose setup is at `state`, pending before the terms and joined from them on. */
async function setupIn(state: SetupState): Promise<{ store: Store; guest: Guest }> {
  const { store, workspace } = await freshStore();
  let guest = await invite(store, workspace);
  const path: [SetupState, (g: Guest) => Promise<StepResult>][] = [
    ['own_password', (g) => store.guests.setOwnPassword(g, { now: NOW, hash: 'scrypt$x', name: 'Ada', familyName: 'L' })],
    ['terms_accepted', (g) => store.guests.acceptTerms(g, NOW)],
    ['mfa_on', async (g) => store.guests.turnOnMfa(applied(await store.guests.storeMfaSecret(g, NOW, 'v1$sealed')), NOW, TOTP_STEP)],
    ['apps_recorded', (g) => store.guests.recordApps(g, NOW, ['mobile'])],
    ['device_trusted', (g) => store.guests.trustDevice(g, NOW, 'laptop')],
  ];
  for (const [reached, step] of path) {
    if (guest.setup === state) break;
    guest = applied(await step(guest));
    expect(guest.setup).toBe(reached);
  }
  return { store, guest };
}

/** The setup-only events; `start-over` and `drop-devices` ride on resend/invite-again and revoke (below). */
type SetupOnly = Exclude<SetupEvent, 'start-over' | 'drop-devices'>;
async function applySetupEvent(store: Store, guest: Guest, event: SetupOnly): Promise<StepResult> {
  switch (event) {
    case 'set-password':
      return await store.guests.setOwnPassword(guest, { now: NOW, hash: 'scrypt$y', name: 'Ada', familyName: 'L' });
    case 'decline-terms':
      return await store.guests.declineTerms(guest, NOW);
    case 'accept-terms':
      return await store.guests.acceptTerms(guest, NOW);
    case 'store-mfa-secret':
      return await store.guests.storeMfaSecret(guest, NOW, 'v1$other');
    case 'turn-on-mfa':
      return await store.guests.turnOnMfa(guest, NOW, TOTP_STEP + 1);
    case 'record-apps':
      return await store.guests.recordApps(guest, NOW, ['extension']);
    case 'trust-device':
      return await store.guests.trustDevice(guest, NOW, 'phone');
  }
}

describe.each(STORES)('%s', (_store, open) => {
  beforeAll(() => {
    openDb = open;
  });

  describe('account setup: every (state, event)', () => {
    const events = SETUP_EVENTS.filter((e): e is SetupOnly => e !== 'start-over' && e !== 'drop-devices');
    const pairs = SETUP_STATES.flatMap((state) => events.map((event) => [state, event] as const));
    test.each(pairs)('%s + %s', async (state, event) => {
      const { store, guest } = await setupIn(state);
      const before = { guest: await rowOf(store, 'guests', guest.id), credentials: await store.db.all(`SELECT * FROM guest_credentials`), counts: await counts(store) };
      const expected = nextSetupState(state, event);
      const result = await applySetupEvent(store, guest, event);
      if (expected === undefined) {
        expect(result.applied).toBe(false);
        expect(await rowOf(store, 'guests', guest.id)).toEqual(before.guest);
        expect(await store.db.all(`SELECT * FROM guest_credentials`)).toEqual(before.credentials);
        expect((await counts(store)).audit).toBe(before.counts.audit);
      } else {
        expect(result.applied).toBe(true);
        expect((await store.guests.get(guest.id))!.setup).toBe(expected);
        expect((await counts(store)).audit).toBe(before.counts.audit + 1);
      }
    });

    test('start-over: a resend after the own password was set forgets it; invite-again after a revoke forgets MFA and devices too', async () => {
      expect(SETUP_STATES.every((s) => nextSetupState(s, 'start-over') === 'temporary_password')).toBe(true);
      const own = await setupIn('own_password');
      const resent = applied(await own.store.guests.resend(own.guest, { now: NOW, actor: 'owner@acme.example', expiresAt: '2027-01-01T00:00:00.000Z', detail: {} }));
      expect(resent.setup).toBe('temporary_password');
      expect(await countOf(own.store, 'guest_credentials')).toEqual({ n: 0 });

      const full = await setupIn('device_trusted');
      const revoked = applied(await full.store.guests.revoke(full.guest, { now: NOW, actor: 'owner@acme.example' }));
      // drop-devices rides on revoke: the trusted devices go, the rest stays until an invite starts over.
      expect(nextSetupState('device_trusted', 'drop-devices')).toBe('apps_recorded');
      expect(revoked.setup).toBe('apps_recorded');
      expect(await countOf(full.store, 'trusted_devices')).toEqual({ n: 0 });
      const again = applied(
        await full.store.guests.inviteAgain(revoked, {
          now: NOW,
          actor: 'owner@acme.example',
          expiresAt: '2027-01-01T00:00:00.000Z',
          detail: {},
          invitedBy: 'owner@acme.example',
          invitedVia: 'members',
          message: null,
          partnerId: null,
          partnerRole: null,
          name: null,
          familyName: null,
        }),
      );
      expect([again.status, again.setup, again.joinedAt]).toEqual(['pending', 'temporary_password', null]);
      expect(await countOf(full.store, 'guest_credentials')).toEqual({ n: 0 });
    });

    test('a TOTP step is accepted once: the same or an earlier step cannot turn MFA on', async () => {
      const { store, guest } = await setupIn('terms_accepted');
      const sealed = applied(await store.guests.storeMfaSecret(guest, NOW, 'v1$sealed'));
      // A code of this step was used already (as a sign-in code is, once MFA is on).
      expect(await store.write((tx) => tx.credentials.useTotpStep(guest.id, TOTP_STEP, NOW))).toBe(true);
      expect((await store.credentials.get(guest.id))!.totpLastStep).toBe(TOTP_STEP);
      expect((await store.guests.turnOnMfa(sealed, NOW, TOTP_STEP)).applied).toBe(false);
      expect((await store.guests.turnOnMfa(sealed, NOW, TOTP_STEP - 1)).applied).toBe(false);
      expect((await store.guests.turnOnMfa(sealed, NOW, TOTP_STEP + 1)).applied).toBe(true);
    });
  });
});

// ── outbox message ──────────────────────────────────────────────────────────

const LEASE = { owner: OWNER, leaseUntil: '2026-11-23T10:03:00.000Z', at: NOW };

async function messageIn(state: OutboxState): Promise<{ store: Store; id: number }> {
  const { store, workspace } = await freshStore();
  const guest = await invite(store, workspace);
  const id = guest.lastMessageId!;
  if (state !== 'queued') {
    await store.write(async (tx) => {
      expect((await tx.outbox.leaseFresh([id], LEASE)).has(id)).toBe(true);
      if (state === 'sent') await tx.outbox.finish(id, OWNER, { event: 'deliver', at: NOW });
      if (state === 'failed') await tx.outbox.finish(id, OWNER, { event: 'reject', at: NOW, error: '550 no' });
      if (state === 'unknown') await tx.outbox.finish(id, OWNER, { event: 'doubt', at: NOW, error: 'dropped' });
    });
  }
  expect((await store.outbox.get(id))!.state).toBe(state);
  return { store, id };
}

async function applyOutboxEvent(store: Store, id: number, from: OutboxState, event: OutboxEvent): Promise<boolean> {
  return await store.write(async (tx) => {
    switch (event) {
      case 'lease':
        return await tx.outbox.lease(id, { ...LEASE, ignoreSchedule: true });
      case 'start':
        return await tx.outbox.startHandover(id, OWNER, NOW);
      case 'deliver':
      case 'reject':
      case 'doubt':
      case 'release':
        return await tx.outbox.finish(id, OWNER, { event, at: NOW });
      case 'cancel':
        return await tx.outbox.cancel(id, from, { at: NOW, actor: 'owner@acme.example', reason: 'revoked' });
      case 'retry':
        return await tx.outbox.retry(id, from, NOW, 'owner@acme.example');
    }
  });
}

describe.each(STORES)('%s', (_store, open) => {
  beforeAll(() => {
    openDb = open;
  });

  describe('outbox message: every (state, event)', () => {
    const pairs = OUTBOX_STATES.flatMap((state) => OUTBOX_EVENTS.map((event) => [state, event] as const));
    test.each(pairs)('%s + %s', async (state, event) => {
      const { store, id } = await messageIn(state);
      const before = { row: await rowOf(store, 'outbox', id), counts: await counts(store) };
      const expected = nextOutboxState(state, event);
      const moved = await applyOutboxEvent(store, id, state, event);
      if (expected === undefined) {
        expect(moved).toBe(false);
        expect(await rowOf(store, 'outbox', id)).toEqual(before.row);
        expect((await counts(store)).events).toBe(before.counts.events);
      } else {
        expect(moved).toBe(true);
        expect((await store.outbox.get(id))!.state).toBe(expected);
        expect((await counts(store)).events).toBe(before.counts.events + 1);
        const last = await store.db.get(`SELECT event, from_state AS "from", to_state AS "to" FROM outbox_events ORDER BY id DESC LIMIT 1`);
        expect(last).toEqual({ event, from: state, to: expected });
      }
    });

    test('the guards beyond the state: another lease owner, a revoked guest, a started hand-over', async () => {
      const { store, id } = await messageIn('sending');
      await store.write(async (tx) => {
        expect(await tx.outbox.finish(id, 'someone-else', { event: 'deliver', at: NOW })).toBe(false);
        expect(await tx.outbox.startHandover(id, 'someone-else', NOW)).toBe(false);
        expect(await tx.outbox.startHandover(id, OWNER, NOW)).toBe(true);
        // Its SMTP transaction started: a revoke can no longer cancel it, only count it.
        expect(await tx.outbox.cancel(id, 'sending', { at: NOW, actor: 'x', reason: 'revoked' })).toBe(false);
      });
      const other = await messageIn('sending');
      const guest = (await other.store.guests.get((await other.store.outbox.get(other.id))!.guestId))!;
      const revoked = await other.store.guests.revoke(guest, { now: NOW, actor: 'owner@acme.example' });
      expect([revoked.cancelled, revoked.onTheirWay]).toEqual([1, 0]);
      expect(await other.store.write((tx) => tx.outbox.startHandover(other.id, OWNER, NOW))).toBe(false);
      expect(await other.store.outbox.get(other.id)).toMatchObject({ state: 'failed', lastError: 'not sent: the invite was revoked' });
    });

    test('a dead sender\'s lease: back to the queue if nothing started, unknown if its SMTP transaction had', async () => {
      const quiet = await messageIn('sending');
      const started = await messageIn('sending');
      await started.store.write(async (tx) => await tx.outbox.startHandover(started.id, OWNER, NOW));
      const later = '2026-11-23T10:10:00.000Z';
      expect(await quiet.store.write((tx) => tx.outbox.recoverAbandonedLeases(later, 'owner@acme.example'))).toEqual({ released: 1, doubted: 0 });
      expect(await quiet.store.outbox.get(quiet.id)).toMatchObject({ state: 'queued', handoverAt: null, inDoubt: 0 });
      expect(await started.store.write((tx) => tx.outbox.recoverAbandonedLeases(later, 'owner@acme.example'))).toEqual({ released: 0, doubted: 1 });
      expect(await started.store.outbox.get(started.id)).toMatchObject({ state: 'unknown', inDoubt: 1 });
    });

    test('the tables name only their own states and events, and each (from, event) once', () => {
      for (const [table, states, events] of [
        [GUEST_TRANSITIONS, GUEST_STATES, GUEST_EVENTS],
        [SETUP_TRANSITIONS, SETUP_STATES, SETUP_EVENTS],
        [OUTBOX_TRANSITIONS, OUTBOX_STATES, OUTBOX_EVENTS],
      ] as const) {
        const keys = table.map((t) => `${t.from}/${t.event}`);
        expect(new Set(keys).size).toBe(keys.length);
        for (const t of table) {
          expect(states).toContain(t.from);
          expect(states).toContain(t.to);
          expect(events).toContain(t.event);
          expect(t.why.length).toBeGreaterThan(10);
        }
      }
    });
  });
});

describe('README', () => {
  test('its States section lists every transition of the three tables', () => {
    const readme = fs.readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const section = readme.slice(readme.indexOf('## States'), readme.indexOf('## Delivery and crashes'));
    const rows = new Set(
      section
        .split('\n')
        .filter((l) => l.startsWith('| ') && !l.startsWith('| from'))
        .map((l) => l.split('|').slice(1, 4).map((c) => c.trim()).join(' ')),
    );
    const all: readonly { from: string; event: string; to: string }[] = [...GUEST_TRANSITIONS, ...SETUP_TRANSITIONS, ...OUTBOX_TRANSITIONS];
    const missing = all.map((t) => `${t.from} ${t.event} ${t.to}`).filter((row) => !rows.has(row) && !rows.has(`any ${row.slice(row.indexOf(' ') + 1)}`));
    expect(missing).toEqual([]);
  });
});
