import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { migrations, SCHEMA_VERSION } from '../src/store/migrations.js';
import { openStore } from '../src/store/store.js';
import { tempDir } from './helpers.js';

/**
 * Each migration N on a store that migrations 1..N−1 built, with rows in it as that version
 * wrote them: after N the rows are still there, with the new columns at their defaults and
 * the derived values filled in, and the new tables and constraints in place. The fixtures
 * are written with a connection of the test's own, as an older cerby-guests left them.
 */

const T0 = '2026-01-10T09:00:00.000Z';
const T1 = '2026-01-11T09:00:00.000Z';
const T2 = '2026-01-12T09:00:00.000Z';
const LATER = '2036-01-01T00:00:00.000Z';

type Db = Database.Database;

/** Migration `n`, as openStore runs it: in one IMMEDIATE transaction that also sets user_version. */
function migrate(db: Db, n: number): void {
  db.transaction(() => {
    const migration = migrations[n - 1]!;
    if (typeof migration === 'string') db.exec(migration);
    else migration(db);
    db.pragma(`user_version = ${n}`);
  }).immediate();
}

/** A store file at schema `version` (0: an empty file), open on a connection of the test's own. */
function storeAt(version: number): { file: string; db: Db } {
  const file = path.join(tempDir(), `v${version}.db`);
  const db = new Database(file);
  db.pragma('foreign_keys = ON');
  for (let n = 1; n <= version; n++) migrate(db, n);
  expect(db.pragma('user_version', { simple: true })).toBe(version);
  return { file, db };
}

const userVersion = (db: Db) => db.pragma('user_version', { simple: true }) as number;
const tables = (db: Db) =>
  (db.prepare(`SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name`).all() as { name: string }[]).map((r) => r.name);
const indexes = (db: Db) =>
  (db.prepare(`SELECT name FROM sqlite_schema WHERE type = 'index' AND sql IS NOT NULL ORDER BY name`).all() as { name: string }[]).map((r) => r.name);
/** The columns of a table: name, type, NOT NULL, default (as SQL text). */
const columns = (db: Db, table: string) =>
  db.prepare(`SELECT name, type, "notnull" AS "notNull", dflt_value AS dflt FROM pragma_table_info(?) ORDER BY cid`).all(table) as {
    name: string;
    type: string;
    notNull: 0 | 1;
    dflt: string | null;
  }[];
const column = (db: Db, table: string, name: string) => columns(db, table).find((c) => c.name === name);
const rows = (db: Db, sql: string, ...params: unknown[]) => db.prepare(sql).all(...params) as Record<string, unknown>[];
const count = (db: Db, table: string) => (db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;

function insertWorkspace(db: Db): void {
  db.prepare(
    `INSERT INTO workspace (id, name, sign_in_url, sender, invite_ttl_seconds, hmac_key, instance_id, created_at)
     VALUES (1, 'Acme', 'https://app.cerby.com', 'no-reply@acme.example', 604800, ?, 'a1b2c3d4e5f60718', ?)`,
  ).run(Buffer.alloc(32, 7), T0);
}

function insertMember(db: Db, email: string, role: string): void {
  db.prepare(`INSERT INTO members (email, email_key, role, added_by, created_at) VALUES (?, ?, ?, NULL, ?)`).run(email, email.toLowerCase(), role, T0);
}

/** A guest row with the version-1 columns only (what every later version still writes). */
function insertGuest(db: Db, email: string, key = email.toLowerCase(), extra: { status?: string; sendCount?: number } = {}): number {
  return Number(
    db
      .prepare(
        `INSERT INTO guests (email, email_key, status, invited_by, invited_at, last_sent_at, send_count, expires_at, joined_at)
         VALUES (?, ?, ?, 'owner@acme.example', ?, ?, ?, ?, ?)`,
      )
      .run(email, key, extra.status ?? 'pending', T0, T0, extra.sendCount ?? 1, LATER, extra.status === 'joined' ? T1 : null).lastInsertRowid,
  );
}

function insertTempPassword(db: Db, guestId: number, sendNumber: number, at: string): void {
  db.prepare(`INSERT INTO temp_passwords (guest_id, send_number, hash, created_at) VALUES (?, ?, ?, ?)`).run(guestId, sendNumber, 'x'.repeat(64), at);
}

function insertOutbox(db: Db, guestId: number, recipient: string, state: string): number {
  return Number(
    db
      .prepare(
        `INSERT INTO outbox (guest_id, send_number, message_id, recipient, inviter, expires_at, state, next_attempt_at, created_at)
         VALUES (?, 1, ?, ?, 'owner@acme.example', ?, ?, ?, ?)`,
      )
      .run(guestId, `<invite.${guestId}.1@acme.example>`, recipient, LATER, state, T0, T0).lastInsertRowid,
  );
}

describe('migration 1: workspace, members, guests, temporary passwords, outbox, audit', () => {
  test('on an empty file: the tables, their defaults, checks, unique keys and cascades', () => {
    const { db } = storeAt(0);
    migrate(db, 1);
    expect(userVersion(db)).toBe(1);
    expect(tables(db)).toEqual(['audit', 'guests', 'members', 'outbox', 'temp_passwords', 'workspace']);
    expect(indexes(db)).toEqual(['audit_target', 'guests_status', 'outbox_due', 'temp_passwords_guest']);

    insertWorkspace(db);
    // One workspace, whose invites live for some time.
    expect(() => db.prepare(`INSERT INTO workspace (id, name, sign_in_url, sender, invite_ttl_seconds, hmac_key, instance_id, created_at) VALUES (2, 'B', 'u', 's', 1, x'00', 'i', ?)`).run(T0)).toThrow(/CHECK/);
    expect(() => db.prepare(`UPDATE workspace SET invite_ttl_seconds = 0`).run()).toThrow(/CHECK/);

    insertMember(db, 'owner@acme.example', 'owner');
    expect(() => insertMember(db, 'boss@acme.example', 'boss')).toThrow(/CHECK/);
    expect(() => insertMember(db, 'Owner@acme.example', 'admin')).toThrow(/UNIQUE/);

    // The defaults a version-1 writer relied on.
    db.prepare(`INSERT INTO guests (email, email_key, status, invited_by, invited_at, expires_at) VALUES ('g@p.example', 'g@p.example', 'pending', 'owner@acme.example', ?, ?)`).run(T0, LATER);
    expect(rows(db, `SELECT invited_via, send_count, last_sent_at, last_message_id FROM guests`)).toEqual([
      { invited_via: 'members', send_count: 0, last_sent_at: null, last_message_id: null },
    ]);
    const guestId = 1;
    expect(() => insertGuest(db, 'x@p.example', 'x@p.example', { status: 'expired' })).toThrow(/CHECK/);
    expect(() => insertGuest(db, 'G@p.example', 'g@p.example')).toThrow(/UNIQUE/);

    insertTempPassword(db, guestId, 1, T0);
    const outboxId = insertOutbox(db, guestId, 'g@p.example', 'queued');
    db.prepare(`INSERT INTO outbox (guest_id, send_number, message_id, recipient, inviter, expires_at, next_attempt_at, created_at) VALUES (?, 2, '<m2>', 'g@p.example', 'o', ?, ?, ?)`).run(guestId, LATER, T0, T0);
    expect(rows(db, `SELECT state, attempts, lease_owner, sent_at FROM outbox WHERE message_id = '<m2>'`)).toEqual([
      { state: 'queued', attempts: 0, lease_owner: null, sent_at: null },
    ]);
    expect(() => db.prepare(`UPDATE outbox SET state = 'lost' WHERE id = ?`).run(outboxId)).toThrow(/CHECK/);
    // One email per send of an invite, and message ids are unique.
    expect(() => insertOutbox(db, guestId, 'g@p.example', 'queued')).toThrow(/UNIQUE/);

    db.prepare(`INSERT INTO audit (at, actor, action, target, detail) VALUES (?, 'owner@acme.example', 'invite', 'g@p.example', NULL)`).run(T0);
    // A guest's passwords and emails go with the guest; the audit trail stays.
    db.prepare(`DELETE FROM guests WHERE id = ?`).run(guestId);
    expect([count(db, 'temp_passwords'), count(db, 'outbox'), count(db, 'audit')]).toEqual([0, 0, 1]);
    db.close();
  });
});

describe('migration 2: partners, accounts and sharing, the importer, workspace domains', () => {
  test('on a version 1 store: the owners\' domains become workspace domains; guests keep their rows, with no partner', () => {
    const { db } = storeAt(1);
    insertWorkspace(db);
    insertMember(db, 'owner@Acme.Example', 'owner');
    insertMember(db, 'second@acme.example', 'owner');
    insertMember(db, 'boss@Other.Example', 'owner');
    insertMember(db, 'admin@third.example', 'admin');
    const guestId = insertGuest(db, 'Guest@Partner.example', 'guest@partner.example', { status: 'joined' });
    insertTempPassword(db, guestId, 1, T0);
    insertOutbox(db, guestId, 'Guest@Partner.example', 'sent');
    const before = { guest: rows(db, `SELECT * FROM guests`), members: rows(db, `SELECT * FROM members`), outbox: rows(db, `SELECT * FROM outbox`) };

    migrate(db, 2);
    expect(userVersion(db)).toBe(2);
    expect(tables(db)).toEqual([
      'account_shares',
      'accounts',
      'audit',
      'guests',
      'import_items',
      'import_permissions',
      'imports',
      'members',
      'outbox',
      'partner_hosts',
      'partners',
      'temp_passwords',
      'workspace',
      'workspace_domains',
    ]);
    // Lower-case, once each, and only owners' domains.
    expect(rows(db, `SELECT domain FROM workspace_domains ORDER BY domain`)).toEqual([{ domain: 'acme.example' }, { domain: 'other.example' }]);
    expect(rows(db, `SELECT * FROM guests`)).toEqual(before.guest.map((g) => ({ ...g, partner_id: null, partner_role: null })));
    expect(rows(db, `SELECT * FROM members`)).toEqual(before.members);
    expect(rows(db, `SELECT * FROM outbox`)).toEqual(before.outbox);
    expect([column(db, 'guests', 'partner_id'), column(db, 'guests', 'partner_role')]).toEqual([
      { name: 'partner_id', type: 'INTEGER', notNull: 0, dflt: null },
      { name: 'partner_role', type: 'TEXT', notNull: 0, dflt: null },
    ]);
    for (const table of ['partners', 'partner_hosts', 'accounts', 'account_shares', 'imports', 'import_items', 'import_permissions']) {
      expect([table, count(db, table)]).toEqual([table, 0]);
    }

    // The new constraints: a partner role from the list, a share with exactly one of partner or guest, once each.
    expect(() => db.prepare(`UPDATE guests SET partner_role = 'boss'`).run()).toThrow(/CHECK/);
    db.prepare(`INSERT INTO partners (name, name_key, created_by, created_at) VALUES ('Partner P', 'partner p', 'owner@acme.example', ?)`).run(T0);
    expect(() => db.prepare(`INSERT INTO partners (name, name_key, created_by, created_at) VALUES ('PARTNER P', 'partner p', 'o', ?)`).run(T0)).toThrow(/UNIQUE/);
    db.prepare(`UPDATE guests SET partner_id = 1, partner_role = 'guest_admin'`).run();
    db.prepare(`INSERT INTO accounts (name, name_key, url, created_by, created_at) VALUES ('Acme Social', 'acme social', NULL, 'owner@acme.example', ?)`).run(T0);
    const share = db.prepare(`INSERT INTO account_shares (account_id, partner_id, guest_id, role, shared_by, shared_at) VALUES (1, ?, ?, ?, 'owner@acme.example', ?)`);
    expect(() => share.run(null, null, 'user', T0)).toThrow(/CHECK/);
    expect(() => share.run(1, guestId, 'user', T0)).toThrow(/CHECK/);
    expect(() => share.run(1, null, 'owner', T0)).toThrow(/CHECK/);
    share.run(1, null, 'user', T0);
    share.run(null, guestId, 'manager', T0);
    expect(() => share.run(1, null, 'manager', T0)).toThrow(/UNIQUE/);
    expect(() => share.run(null, guestId, 'user', T0)).toThrow(/UNIQUE/);
    // A share goes with its guest.
    db.prepare(`DELETE FROM guests WHERE id = ?`).run(guestId);
    expect(rows(db, `SELECT partner_id, guest_id FROM account_shares`)).toEqual([{ partner_id: 1, guest_id: null }]);
    db.close();
  });
});

describe('migration 3: the guest\'s side (lockout, own password, terms, MFA, apps, devices) and the password policy', () => {
  test('on a version 2 store: the workspace gets the default policy, guests no failed sign-ins; their rows are otherwise unchanged', () => {
    const { db } = storeAt(2);
    insertWorkspace(db);
    insertMember(db, 'owner@acme.example', 'owner');
    const pending = insertGuest(db, 'pending@partner.example');
    const joined = insertGuest(db, 'joined@partner.example', undefined, { status: 'joined', sendCount: 2 });
    const before = { workspace: rows(db, `SELECT * FROM workspace`), guests: rows(db, `SELECT * FROM guests ORDER BY id`) };

    migrate(db, 3);
    expect(userVersion(db)).toBe(3);
    expect(tables(db)).toEqual(expect.arrayContaining(['guest_credentials', 'trusted_devices']));
    expect(tables(db)).toHaveLength(16);
    expect(rows(db, `SELECT * FROM workspace`)).toEqual(before.workspace.map((w) => ({ ...w, password_min_length: 15, mfa_required: 1 })));
    expect(rows(db, `SELECT * FROM guests ORDER BY id`)).toEqual(before.guests.map((g) => ({ ...g, failed_signins: 0, locked_at: null })));
    expect([
      column(db, 'workspace', 'password_min_length'),
      column(db, 'workspace', 'mfa_required'),
      column(db, 'guests', 'failed_signins'),
      column(db, 'guests', 'locked_at'),
    ]).toEqual([
      { name: 'password_min_length', type: 'INTEGER', notNull: 1, dflt: '15' },
      { name: 'mfa_required', type: 'INTEGER', notNull: 1, dflt: '1' },
      { name: 'failed_signins', type: 'INTEGER', notNull: 1, dflt: '0' },
      { name: 'locked_at', type: 'TEXT', notNull: 0, dflt: null },
    ]);
    expect([count(db, 'guest_credentials'), count(db, 'trusted_devices')]).toEqual([0, 0]);

    // A policy below 8 characters is refused.
    expect(() => db.prepare(`UPDATE workspace SET password_min_length = 7`).run()).toThrow(/CHECK/);
    db.prepare(`UPDATE workspace SET password_min_length = 8`).run();
    // One set of credentials per guest; they and the devices go with the guest.
    db.prepare(`INSERT INTO guest_credentials (guest_id, password_hash, password_set_at) VALUES (?, 'scrypt$x', ?)`).run(joined, T1);
    expect(() => db.prepare(`INSERT INTO guest_credentials (guest_id, password_hash, password_set_at) VALUES (?, 'scrypt$y', ?)`).run(joined, T1)).toThrow(
      /UNIQUE|PRIMARY KEY/,
    );
    expect(rows(db, `SELECT tos_accepted_at, totp_secret_enc, totp_last_step, mfa_enabled_at, apps, apps_recorded_at FROM guest_credentials`)).toEqual([
      { tos_accepted_at: null, totp_secret_enc: null, totp_last_step: null, mfa_enabled_at: null, apps: null, apps_recorded_at: null },
    ]);
    db.prepare(`INSERT INTO trusted_devices (guest_id, name, registered_at) VALUES (?, 'laptop', ?)`).run(joined, T1);
    db.prepare(`DELETE FROM guests WHERE id = ?`).run(joined);
    expect([count(db, 'guest_credentials'), count(db, 'trusted_devices')]).toEqual([0, 0]);
    expect(rows(db, `SELECT id FROM guests`)).toEqual([{ id: pending }]);
    db.close();
  });
});

describe('migration 4: guarded transitions (version, setup, hand-over mark, outbox events), one identity per address', () => {
  // test/identity.test.ts covers its address keys in depth; this is the short case.
  test('on a version 3 store, through openStore: setup derived from the credentials, in_doubt from the outbox state, keys canonical', async () => {
    const { file, db } = storeAt(3);
    insertWorkspace(db);
    insertMember(db, 'owner@acme.example', 'owner');
    // No own password yet.
    const plain = insertGuest(db, 'plain@partner.example');
    insertTempPassword(db, plain, 1, T0);
    const queued = insertOutbox(db, plain, 'plain@partner.example', 'queued');
    // Joined, MFA on, no apps yet; its key in the old form (lower-case only, Unicode domain).
    const mfa = insertGuest(db, 'User@Bücher.example', 'user@bücher.example', { status: 'joined' });
    insertTempPassword(db, mfa, 1, T0);
    db.prepare(
      `INSERT INTO guest_credentials (guest_id, password_hash, password_set_at, tos_accepted_at, totp_secret_enc, totp_last_step, mfa_enabled_at)
       VALUES (?, 'scrypt$x', ?, ?, 'v1$sealed', 59000000, ?)`,
    ).run(mfa, T1, T1, T1);
    const sent = insertOutbox(db, mfa, 'User@Bücher.example', 'sent');
    // Its email's fate unknown after a crash.
    const lost = insertGuest(db, 'lost@partner.example');
    insertTempPassword(db, lost, 1, T0);
    const unknown = insertOutbox(db, lost, 'lost@partner.example', 'unknown');
    // Its own password was set before the current invite was sent: superseded by it.
    const stale = insertGuest(db, 'stale@partner.example', undefined, { sendCount: 2 });
    insertTempPassword(db, stale, 1, T0);
    insertTempPassword(db, stale, 2, T2);
    db.prepare(`INSERT INTO guest_credentials (guest_id, password_hash, password_set_at) VALUES (?, 'scrypt$x', ?)`).run(stale, T1);
    db.close();
    fs.chmodSync(file, 0o600);

    const store = openStore(file, { create: false });
    try {
      expect(await store.schemaVersion()).toBe(SCHEMA_VERSION);
      expect(store.integrityCheck()).toBe('ok');
    } finally {
      await store.close();
    }
    const after = new Database(file, { readonly: true });
    try {
      expect(rows(after, `SELECT id, email_key AS key, version, setup FROM guests ORDER BY id`)).toEqual([
        { id: plain, key: 'plain@partner.example', version: 0, setup: 'temporary_password' },
        { id: mfa, key: 'user@xn--bcher-kva.example', version: 0, setup: 'mfa_on' },
        { id: lost, key: 'lost@partner.example', version: 0, setup: 'temporary_password' },
        { id: stale, key: 'stale@partner.example', version: 0, setup: 'temporary_password' },
      ]);
      expect(rows(after, `SELECT guest_id FROM guest_credentials ORDER BY guest_id`)).toEqual([{ guest_id: mfa }]);
      expect(rows(after, `SELECT id, state, handover_at, in_doubt FROM outbox ORDER BY id`)).toEqual([
        { id: queued, state: 'queued', handover_at: null, in_doubt: 0 },
        { id: sent, state: 'sent', handover_at: null, in_doubt: 0 },
        { id: unknown, state: 'unknown', handover_at: null, in_doubt: 1 },
      ]);
      expect([column(after, 'guests', 'version'), column(after, 'guests', 'setup'), column(after, 'outbox', 'handover_at'), column(after, 'outbox', 'in_doubt')]).toEqual([
        { name: 'version', type: 'INTEGER', notNull: 1, dflt: '0' },
        { name: 'setup', type: 'TEXT', notNull: 1, dflt: "'temporary_password'" },
        { name: 'handover_at', type: 'TEXT', notNull: 0, dflt: null },
        { name: 'in_doubt', type: 'INTEGER', notNull: 1, dflt: '0' },
      ]);
      expect(columns(after, 'outbox_events').map((c) => c.name)).toEqual(['id', 'outbox_id', 'at', 'actor', 'event', 'from_state', 'to_state', 'detail']);
      expect(count(after, 'outbox_events')).toBe(0);
      expect(indexes(after)).toContain('outbox_events_message');
    } finally {
      after.close();
    }
  });
});

describe('migration 5: saved delivery settings, each email\'s route and link token', () => {
  test('on a version 4 store: the settings table, and existing emails with no route (either way) and no token', () => {
    const { db } = storeAt(4);
    insertWorkspace(db);
    const guest = insertGuest(db, 'guest@partner.example');
    const message = insertOutbox(db, guest, 'guest@partner.example', 'queued');
    migrate(db, 5);
    try {
      expect(columns(db, 'settings')).toEqual([
        { name: 'key', type: 'TEXT', notNull: 0, dflt: null },
        { name: 'value', type: 'TEXT', notNull: 1, dflt: null },
        { name: 'updated_by', type: 'TEXT', notNull: 1, dflt: null },
        { name: 'updated_at', type: 'TEXT', notNull: 1, dflt: null },
      ]);
      expect(count(db, 'settings')).toBe(0);
      expect(rows(db, `SELECT id, state, route, link_token FROM outbox`)).toEqual([{ id: message, state: 'queued', route: null, link_token: null }]);
      expect(() => db.prepare(`UPDATE outbox SET route = 'pigeon'`).run()).toThrow(/CHECK constraint failed/);
      db.prepare(`INSERT INTO settings (key, value, updated_by, updated_at) VALUES ('smtp', 'smtp://a', 'o', ?)`).run(T0);
      expect(() => db.prepare(`INSERT INTO settings (key, value, updated_by, updated_at) VALUES ('smtp', 'smtp://b', 'o', ?)`).run(T0)).toThrow(/UNIQUE/);
    } finally {
      db.close();
    }
  });
});

describe('migration 6: answers kept for steps not reached yet', () => {
  test('on a version 5 store: credentials keep their rows, with no pending answers', () => {
    const { db } = storeAt(5);
    insertWorkspace(db);
    const guest = insertGuest(db, 'guest@partner.example');
    db.prepare(`INSERT INTO guest_credentials (guest_id, password_hash, password_set_at) VALUES (?, 'scrypt$x', ?)`).run(guest, T1);
    migrate(db, 6);
    try {
      expect(rows(db, `SELECT guest_id, password_hash, pending_apps, pending_device FROM guest_credentials`)).toEqual([
        { guest_id: guest, password_hash: 'scrypt$x', pending_apps: null, pending_device: null },
      ]);
      expect([column(db, 'guest_credentials', 'pending_apps'), column(db, 'guest_credentials', 'pending_device')]).toEqual([
        { name: 'pending_apps', type: 'TEXT', notNull: 0, dflt: null },
        { name: 'pending_device', type: 'TEXT', notNull: 0, dflt: null },
      ]);
    } finally {
      db.close();
    }
  });
});

describe('migration 7: email states indexed only where a query looks', () => {
  test('on a version 6 store: the whole-table state index becomes two partial ones, and the queries use them', () => {
    const { db } = storeAt(6);
    insertWorkspace(db);
    const guest = insertGuest(db, 'guest@partner.example');
    const queued = insertOutbox(db, guest, 'guest@partner.example', 'queued');
    migrate(db, 7);
    try {
      expect(indexes(db)).not.toContain('outbox_due');
      expect(indexes(db)).toEqual(expect.arrayContaining(['outbox_queued', 'outbox_sending']));
      const plan = (sql: string) => (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all() as { detail: string }[]).map((r) => r.detail).join('; ');
      expect(plan(`SELECT id FROM outbox WHERE state = 'queued' AND next_attempt_at <= '9' ORDER BY next_attempt_at, id LIMIT 10`)).toMatch(/USING (COVERING )?INDEX outbox_queued/);
      expect(plan(`SELECT id FROM outbox WHERE state = 'sending'`)).toContain('outbox_sending');
      // The rows themselves are untouched, and the partial index follows their state.
      expect(rows(db, `SELECT id FROM outbox WHERE state = 'queued' AND next_attempt_at <= '9999'`)).toEqual([{ id: queued }]);
      db.prepare(`UPDATE outbox SET state = 'sending' WHERE id = ?`).run(queued);
      expect(rows(db, `SELECT id FROM outbox WHERE state = 'sending'`)).toEqual([{ id: queued }]);
      expect(rows(db, `SELECT id FROM outbox WHERE state = 'queued' AND next_attempt_at <= '9999'`)).toEqual([]);
    } finally {
      db.close();
    }
  });
});

describe('every version opens', () => {
  test('each migration has its case above', () => {
    expect(migrations).toHaveLength(7);
    expect(SCHEMA_VERSION).toBe(migrations.length);
    expect(migrations.slice(0, 3).every((m) => typeof m === 'string')).toBe(true);
  });

  test.each([1, 2, 3, 4, 5, 6])('openStore upgrades a version %i store to the latest, keeping its workspace and members', async (version) => {
    const { file, db } = storeAt(version);
    insertWorkspace(db);
    insertMember(db, 'owner@acme.example', 'owner');
    insertGuest(db, 'guest@partner.example');
    db.close();
    fs.chmodSync(file, 0o600);
    const store = openStore(file, { create: false });
    try {
      expect(await store.schemaVersion()).toBe(SCHEMA_VERSION);
      expect(store.integrityCheck()).toBe('ok');
      expect(await store.workspace.get()).toMatchObject({ name: 'Acme', inviteTtlSeconds: 604800 });
      expect((await store.members.list()).map((m) => [m.email, m.role])).toEqual([['owner@acme.example', 'owner']]);
      expect(await store.guests.find('guest@partner.example')).toMatchObject({ status: 'pending', version: 0, setup: 'temporary_password', failedSignins: 0 });
      expect(await store.workspace.domains()).toEqual(version < 2 ? ['acme.example'] : []);
      expect(await store.workspace.passwordPolicy()).toEqual({ minLength: 15, mfaRequired: true });
    } finally {
      await store.close();
    }
  });
});
