import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { SMTPServerOptions } from 'smtp-server';
import { migrations, SCHEMA_VERSION } from '../src/store/migrations.js';
import { openStore } from '../src/store/store.js';
import { peek, run, startSmtp, tempDir, tempPasswordFrom, workspace, type RunResult } from './helpers.js';

/**
 * One canonical identity per address (NFC, lower-case, IDNA domain), and no invisible
 * characters in an address: the same mailbox can never be two guests with two passwords.
 */

const VICTIM = 'victim@x.example';
const NFC_JOSE = 'jos\u00e9@x.example';
const NFD_JOSE = 'jose\u0301@x.example';
const PASSWORD = 'correct horse battery staple 42';
const fullFlags = ['--new-password', PASSWORD, '--name', 'Ada', '--family-name', 'Lovelace', '--accept-tos'];

/** Every spelling of VICTIM with an invisible (Unicode Cf) character, and the character. */
const HOSTILE: readonly (readonly [string, string])[] = [
  ['victim@x\u200b.example', '\u200b'], // zero-width space in the domain (IDNA would silently drop it)
  ['\ufeffvictim@x.example', '\ufeff'], // BOM before the local part (String.prototype.trim drops it)
  ['victim@x.example\ufeff', '\ufeff'], // BOM at the end
  ['vic\u00adtim@x.example', '\u00ad'], // soft hyphen in the local part
  ['victim@x.example\u2060', '\u2060'], // word joiner at the end
  ['victim\u200d@x.example', '\u200d'], // zero-width joiner
  ['victim@x.example\u200e', '\u200e'], // left-to-right mark
  ['victim@x.exa\u202emple', '\u202e'], // right-to-left override
  ['\u2066victim@x.example\u2069', '\u2066'], // bidi isolate
];

const codePoint = (char: string) => `U+${char.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
const escaped = (char: string) => `\\u${char.codePointAt(0)!.toString(16).padStart(4, '0')}`;
const FORMAT_CHARS = /\p{Cf}/u;

/** Exit 2, one stderr line that names the character and shows it as an escape, never raw. */
function expectRefusedNaming(result: RunResult, char: string, label: string) {
  expect([label, result.code]).toEqual([label, 2]);
  const lines = result.stderr.trimEnd().split('\n');
  expect([label, lines.length]).toEqual([label, 1]);
  expect([label, lines[0]!.includes(codePoint(char))]).toEqual([label, true]);
  expect([label, lines[0]!.includes(escaped(char))]).toEqual([label, true]);
  expect([label, FORMAT_CHARS.test(result.stderr)]).toEqual([label, false]);
}

type Cli = Awaited<ReturnType<typeof workspace>>['cli'];
const listed = async (cli: Cli) => JSON.parse((await cli(['list', '--json'])).stdout) as { email: string; status: string; invitedBy: string }[];
const outbox = async (cli: Cli) => JSON.parse((await cli(['outbox', 'list', '--json'])).stdout).messages as { recipient: string; filePath: string | null }[];

/** Read-only queries on a store the CLI wrote. */
function query<T>(db: string, sql: string): T[] {
  return peek<T>(db, sql);
}

function writeCsv(dir: string, lines: string[]): string {
  const file = path.join(dir, 'guests.csv');
  fs.writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

describe('invisible characters are refused, not folded into a second guest', () => {
  test('invite: every hostile spelling exits 2 naming the character; one guest, one email', async () => {
    const { cli, db, dir } = await workspace();
    expect((await cli(['invite', VICTIM])).code).toBe(0);
    for (const [spelling, char] of HOSTILE) {
      expectRefusedNaming(await cli(['invite', spelling]), char, `invite ${JSON.stringify(spelling)}`);
      // Lookups refuse them too: a hidden character never quietly means someone else.
      expectRefusedNaming(await cli(['show', spelling]), char, `show ${JSON.stringify(spelling)}`);
    }
    expect((await listed(cli)).map((g) => g.email)).toEqual([VICTIM]);
    expect((await outbox(cli)).map((m) => m.recipient)).toEqual([VICTIM]);
    expect(fs.readdirSync(path.join(dir, 'guests.outbox'))).toEqual(['000001-victim@x.example.eml']);
    expect(query(db, 'SELECT email, email_key FROM guests')).toEqual([{ email: VICTIM, email_key: VICTIM }]);
  });

  test('invite --csv: those rows fail with their line and the character; the valid row invites', async () => {
    const { cli, dir } = await workspace();
    const file = writeCsv(dir, ['email,name', `${VICTIM},Victim`, ...HOSTILE.map(([spelling], i) => `${spelling},Row ${i}`)]);
    const result = await cli(['invite', '--csv', file, '--json']);
    expect(result.code).toBe(3);
    const report = JSON.parse(result.stdout);
    expect(report.counts).toEqual({ invited: 1, queued: 0, skipped: 0, failed: HOSTILE.length, duplicates: 0 });
    expect(report.results[0]).toMatchObject({ line: 2, outcome: 'invited' });
    HOSTILE.forEach(([, char], i) => {
      const row = report.results[i + 1];
      expect([i, row.line, row.outcome]).toEqual([i, i + 3, 'failed']);
      expect([i, row.reason]).toEqual([i, `invalid email address: it contains the invisible character ${codePoint(char)}`]);
      const line = result.stderr.split('\n').find((l) => l.startsWith(`✗ line ${i + 3}: `));
      expect([i, line?.includes(codePoint(char)), line?.includes(escaped(char))]).toEqual([i, true, true]);
    });
    expect(FORMAT_CHARS.test(result.stderr)).toBe(false);
    expect((await listed(cli)).map((g) => g.email)).toEqual([VICTIM]);
    expect(await outbox(cli)).toHaveLength(1);
  });

  test('--as, CERBY_GUESTS_ACTOR and members add refuse them; the member is found only by a clean spelling', async () => {
    const { cli, db } = await workspace();
    // The owner's address with a hidden character must not act as the owner (nor as nobody: it is bad input).
    for (const [actor, char] of [
      ['owner@acme\u200b.example', '\u200b'],
      ['\ufeffowner@acme.example', '\ufeff'],
      ['owner@acme.example\u2060', '\u2060'],
    ] as const) {
      expectRefusedNaming(await cli(['--as', actor, 'invite', 'guest@partner.example']), char, `--as ${JSON.stringify(actor)}`);
      expectRefusedNaming(await cli(['invite', 'guest@partner.example'], { env: { CERBY_GUESTS_ACTOR: actor } }), char, `env ${JSON.stringify(actor)}`);
    }
    expect(await listed(cli)).toEqual([]);

    for (const [member, char] of [
      ['adm\u00adin@acme.example', '\u00ad'],
      ['admin@acme\u200b.example', '\u200b'],
      ['\ufeffadmin@acme.example', '\ufeff'],
      ['admin@acme.example\u202e', '\u202e'],
    ] as const) {
      expectRefusedNaming(await cli(['members', 'add', member, '--role', 'admin']), char, `members add ${JSON.stringify(member)}`);
    }
    expect(query(db, 'SELECT email_key FROM members ORDER BY id')).toEqual([{ email_key: 'owner@acme.example' }]);

    // A clean international address is one member whatever the spelling, and --as finds it by any.
    expect((await cli(['members', 'add', 'Admin@Bücher.example', '--role', 'admin'])).code).toBe(0);
    expect((await cli(['members', 'add', 'admin@xn--bcher-kva.example', '--role', 'admin'])).code).toBe(0);
    expect(query(db, 'SELECT email, email_key FROM members ORDER BY id')).toEqual([
      { email: 'owner@acme.example', email_key: 'owner@acme.example' },
      { email: 'Admin@Bücher.example', email_key: 'admin@xn--bcher-kva.example' },
    ]);
    expect((await cli(['--as', 'ADMIN@XN--BCHER-KVA.EXAMPLE', 'invite', 'guest@partner.example'])).code).toBe(0);
    expect((await listed(cli)).map((g) => [g.email, g.invitedBy])).toEqual([['guest@partner.example', 'Admin@Bücher.example']]);
  });
});

describe('an international domain in Unicode or punycode is one guest', () => {
  test('second spellings are skipped, RCPT TO is ASCII, the email shows it as typed, show and join take any spelling', async () => {
    // smtp-server hands its callbacks the domain decoded to Unicode: read the commands as they came.
    const commands: string[] = [];
    const logger = {
      ...Object.fromEntries(['trace', 'info', 'warn', 'error', 'fatal'].map((level) => [level, () => {}])),
      debug: (meta: { tnx?: string }, ...args: unknown[]) => {
        if (meta.tnx === 'command') commands.push(args.map(String).join(' '));
      },
    };
    const server = await startSmtp({ logger: logger as unknown as SMTPServerOptions['logger'] });
    try {
      const { cli, db } = await workspace({ smtp: server.url });
      const first = await cli(['invite', 'user@bücher.example']);
      expect(first.code).toBe(0);
      for (const spelling of ['user@xn--bcher-kva.example', 'USER@BÜCHER.example', 'User@XN--BCHER-KVA.EXAMPLE', 'user@bu\u0308cher.example']) {
        const again = await cli(['invite', spelling, '--json']);
        expect([spelling, again.code]).toEqual([spelling, 0]);
        const [result] = JSON.parse(again.stdout).results;
        expect([spelling, result.outcome, result.email]).toEqual([spelling, 'skipped', 'user@bücher.example']);
        expect(result.reason).toMatch(/already has a pending invite/);
      }
      expect((await listed(cli)).map((g) => [g.email, g.status])).toEqual([['user@bücher.example', 'pending']]);
      expect(query(db, 'SELECT email, email_key FROM guests')).toEqual([{ email: 'user@bücher.example', email_key: 'user@xn--bcher-kva.example' }]);
      expect(query(db, "SELECT DISTINCT target FROM audit WHERE action = 'invite'")).toEqual([{ target: 'user@xn--bcher-kva.example' }]);

      // One email, to the ASCII form on the wire; the text shows the username as it was typed.
      expect(server.messages).toHaveLength(1);
      expect(commands.filter((c) => /^C: RCPT TO/i.test(c))).toEqual(['C: RCPT TO:<user@xn--bcher-kva.example>']);
      const text = String(server.messages[0]!.parsed.text);
      expect(text).toMatch(/^\s*Username:\s+user@bücher\.example\s*$/m);

      for (const spelling of ['user@xn--bcher-kva.example', 'USER@BÜCHER.EXAMPLE']) {
        const show = await cli(['show', spelling, '--json']);
        expect([spelling, show.code]).toEqual([spelling, 0]);
        expect(JSON.parse(show.stdout)).toMatchObject({ email: 'user@bücher.example', status: 'pending', history: [{ action: 'invite' }] });
      }
      // The guest cannot also be a member under the other spelling.
      const member = await cli(['members', 'add', 'user@xn--bcher-kva.example', '--role', 'user']);
      expect(member.code).toBe(2);
      expect(member.stderr).toMatch(/is a guest of this workspace/);

      // Signs in with the punycode spelling and the password the Unicode spelling was sent.
      const join = await cli(['join', '--username', 'user@xn--bcher-kva.example', '--temp-password', tempPasswordFrom(text), ...fullFlags, '--json']);
      expect(join.code).toBe(0);
      expect(JSON.parse(join.stdout)).toMatchObject({ email: 'user@bücher.example', status: 'joined' });
      expect((await listed(cli)).map((g) => [g.email, g.status])).toEqual([['user@bücher.example', 'joined']]);
      // Joined under one spelling is joined under all: an invite in another is refused, nothing sent.
      const again = await cli(['invite', 'USER@xn--bcher-kva.example']);
      expect(again.code).toBe(2);
      expect(again.stderr).toMatch(/already joined/);
      expect(server.messages).toHaveLength(1);
    } finally {
      await server.close();
    }
  });
});

describe('NFC and NFD spellings are one guest', () => {
  test('on the command line: stored once, in NFC', async () => {
    const { cli, db } = await workspace();
    expect((await cli(['invite', NFD_JOSE])).code).toBe(0);
    for (const spelling of [NFC_JOSE, 'JOSE\u0301@X.example', 'JOS\u00c9@x.EXAMPLE']) {
      const again = await cli(['invite', spelling, '--json']);
      expect([spelling, again.code, JSON.parse(again.stdout).results[0].outcome]).toEqual([spelling, 0, 'skipped']);
    }
    expect((await listed(cli)).map((g) => g.email)).toEqual([NFC_JOSE]);
    expect(query(db, 'SELECT email, email_key FROM guests')).toEqual([{ email: NFC_JOSE, email_key: NFC_JOSE }]);
    expect((await outbox(cli)).map((m) => m.recipient)).toEqual([NFC_JOSE]);
    const show = await cli(['show', NFD_JOSE, '--json']);
    expect(show.code).toBe(0);
    expect(JSON.parse(show.stdout).email).toBe(NFC_JOSE);

    // --as is looked up as given: the NFD spelling of a member is that member.
    expect((await cli(['members', 'add', 'rené@acme.example', '--role', 'admin'])).code).toBe(0);
    expect((await cli(['--as', 'RENÉ@acme.example', 'invite', 'guest@partner.example'])).code).toBe(0);
    expect((await listed(cli)).find((g) => g.email === 'guest@partner.example')?.invitedBy).toBe('rené@acme.example');
  });

  test('invite --csv: a later spelling is a duplicate of the first line; stored in NFC', async () => {
    const { cli, db, dir } = await workspace();
    const file = writeCsv(dir, ['email,name', `${NFD_JOSE},A`, 'other@x.example,B', `${NFC_JOSE},C`, 'JOSE\u0301@X.EXAMPLE,D']);
    const result = await cli(['invite', '--csv', file, '--json']);
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report.counts).toEqual({ invited: 2, queued: 0, skipped: 2, failed: 0, duplicates: 1 });
    expect(report.results.map((r: { line: number; outcome: string; reason?: string }) => [r.line, r.outcome, r.reason])).toEqual([
      [2, 'invited', undefined],
      [3, 'invited', undefined],
      [4, 'skipped', 'duplicate of line 2'],
      [5, 'skipped', 'duplicate of line 2'],
    ]);
    expect(report.duplicates).toEqual([{ email: NFC_JOSE, lines: [2, 4, 5] }]);
    expect((await listed(cli)).map((g) => g.email).sort()).toEqual([NFC_JOSE, 'other@x.example']);
    expect(query(db, 'SELECT email, email_key FROM guests ORDER BY id')).toEqual([
      { email: NFC_JOSE, email_key: NFC_JOSE },
      { email: 'other@x.example', email_key: 'other@x.example' },
    ]);
    expect((await outbox(cli)).map((m) => m.recipient).sort()).toEqual([NFC_JOSE, 'other@x.example']);
    // Named from the canonical form: one character (é), one underscore.
    expect(fs.readdirSync(path.join(dir, 'guests.outbox')).sort()).toEqual(['000001-jos_@x.example.eml', '000002-other@x.example.eml']);
  });
});

describe('outbox file names come from the canonical form', () => {
  const NAME = /^\d{6}-[a-z0-9@._+-]+\.eml$/;

  test('ASCII only, at most 255 bytes, the domain in its IDNA form', async () => {
    const { cli, dir } = await workspace();
    const long = `${'ü'.repeat(30)}@${'ä'.repeat(40)}.${'ö'.repeat(40)}.example`;
    for (const email of ['jörg@x.example', 'Jörg@Bücher.example', long]) expect([email, (await cli(['invite', email])).code]).toEqual([email, 0]);
    const files = fs.readdirSync(path.join(dir, 'guests.outbox')).sort();
    expect(files).toHaveLength(3);
    for (const file of files) {
      expect(file).toMatch(NAME);
      expect(Buffer.byteLength(file)).toBeLessThanOrEqual(255);
    }
    expect(files.slice(0, 2)).toEqual(['000001-j_rg@x.example.eml', '000002-j_rg@xn--bcher-kva.example.eml']);
    expect(files[2]).toMatch(/^000003-_{30}@xn--/);
    expect((await outbox(cli)).map((m) => path.basename(m.filePath!)).sort()).toEqual(files);
  });
});

/** Timestamps for rows written by hand. */
const T0 = '2026-01-10T09:00:00.000Z';
const T1 = '2026-01-11T09:00:00.000Z';
const T2 = '2026-01-12T09:00:00.000Z';
const LATER = '2036-01-01T00:00:00.000Z';

/**
 * A store as schema version 3 left it: migrations 1–3 and rows written with SQL, keys in the
 * old form (lower-case only). Mode 0600, as the tool keeps its stores.
 */
function v3Store(fill: (db: Database.Database) => void): string {
  const file = path.join(tempDir(), 'v3.db');
  const db = new Database(file);
  for (const migration of migrations.slice(0, 3)) {
    if (typeof migration !== 'string') throw new Error('migrations 1-3 are SQL');
    db.exec(migration);
  }
  db.pragma('user_version = 3');
  db.prepare(
    `INSERT INTO workspace (id, name, sign_in_url, sender, invite_ttl_seconds, hmac_key, instance_id, created_at)
     VALUES (1, 'Acme', 'https://app.cerby.com', 'no-reply@acme.example', 604800, ?, 'a1b2c3d4e5f60718', ?)`,
  ).run(randomBytes(32), T0);
  db.prepare(`INSERT INTO members (email, email_key, role, added_by, created_at) VALUES ('owner@acme.example', 'owner@acme.example', 'owner', NULL, ?)`).run(T0);
  fill(db);
  db.close();
  fs.chmodSync(file, 0o600);
  return file;
}

function insertGuest(db: Database.Database, email: string, key: string, extra: { status?: string; sendCount?: number } = {}): number {
  const { lastInsertRowid } = db
    .prepare(
      `INSERT INTO guests (email, email_key, status, invited_by, invited_at, last_sent_at, send_count, expires_at, joined_at)
       VALUES (?, ?, ?, 'owner@acme.example', ?, ?, ?, ?, ?)`,
    )
    .run(email, key, extra.status ?? 'pending', T0, T0, extra.sendCount ?? 1, LATER, extra.status === 'joined' ? T1 : null);
  return Number(lastInsertRowid);
}

function insertTempPassword(db: Database.Database, guestId: number, sendNumber: number, at: string) {
  db.prepare('INSERT INTO temp_passwords (guest_id, send_number, hash, created_at) VALUES (?, ?, ?, ?)').run(guestId, sendNumber, 'x'.repeat(64), at);
}

function insertOutbox(db: Database.Database, guestId: number, recipient: string, state: string) {
  db.prepare(
    `INSERT INTO outbox (guest_id, send_number, message_id, recipient, inviter, expires_at, state, next_attempt_at, created_at)
     VALUES (?, 1, ?, ?, 'owner@acme.example', ?, ?, ?, ?)`,
  ).run(guestId, `<invite.${guestId}.1@acme.example>`, recipient, LATER, state, T0, T0);
}

function insertAudit(db: Database.Database, action: string, target: string) {
  db.prepare(`INSERT INTO audit (at, actor, action, target, detail) VALUES (?, 'owner@acme.example', ?, ?, NULL)`).run(T0, action, target);
}

function insertPartner(db: Database.Database, name: string): number {
  return Number(
    db.prepare(`INSERT INTO partners (name, name_key, created_by, created_at) VALUES (?, ?, 'owner@acme.example', ?)`).run(name, name.toLowerCase(), T0)
      .lastInsertRowid,
  );
}

function insertHost(db: Database.Database, partnerId: number, email: string, key: string) {
  db.prepare(`INSERT INTO partner_hosts (partner_id, email_key, email, added_by, added_at) VALUES (?, ?, ?, 'owner@acme.example', ?)`).run(partnerId, key, email, T0);
}

const userVersion = (file: string) => peek<{ user_version: number }>(file, 'PRAGMA user_version')[0]!.user_version;

const cliOn = (file: string, argv: string[]) => run(['--db', file, ...argv]);

describe('migration 4 on a version 3 store', () => {
  test('canonicalises every stored address key, derives setup and in_doubt; the CLI works on the result', async () => {
    let ids: Record<string, number> = {};
    const file = v3Store((db) => {
      // Joined, every setup step done: device_trusted.
      const full = insertGuest(db, 'User@Bücher.example', 'user@bücher.example', { status: 'joined' });
      insertTempPassword(db, full, 1, T0);
      db.prepare(
        `INSERT INTO guest_credentials (guest_id, password_hash, password_set_at, tos_accepted_at, mfa_enabled_at, apps, apps_recorded_at)
         VALUES (?, 'scrypt$x', ?, ?, ?, '["mobile"]', ?)`,
      ).run(full, T1, T1, T1, T1);
      db.prepare(`INSERT INTO trusted_devices (guest_id, name, registered_at) VALUES (?, 'laptop', ?)`).run(full, T1);
      insertOutbox(db, full, 'User@Bücher.example', 'sent');
      // An NFD key, its own password only: own_password.
      const own = insertGuest(db, 'Jose\u0301@X.example', 'jose\u0301@x.example');
      insertTempPassword(db, own, 1, T0);
      db.prepare(`INSERT INTO guest_credentials (guest_id, password_hash, password_set_at) VALUES (?, 'scrypt$x', ?)`).run(own, T1);
      // No credentials, its email's fate unknown after a crash: temporary_password, in doubt.
      const plain = insertGuest(db, 'plain@partner.example', 'plain@partner.example');
      insertTempPassword(db, plain, 1, T0);
      insertOutbox(db, plain, 'plain@partner.example', 'unknown');
      // A password set before the current invite was sent is superseded by it.
      const stale = insertGuest(db, 'stale@partner.example', 'stale@partner.example', { sendCount: 2 });
      insertTempPassword(db, stale, 1, T0);
      insertTempPassword(db, stale, 2, T2);
      db.prepare(`INSERT INTO guest_credentials (guest_id, password_hash, password_set_at, tos_accepted_at) VALUES (?, 'scrypt$x', ?, ?)`).run(stale, T1, T1);

      db.prepare(`INSERT INTO members (email, email_key, role, added_by, created_at) VALUES ('Admin@ÄRZTE.example', 'admin@ärzte.example', 'admin', 'owner@acme.example', ?)`).run(T0);
      const partner = insertPartner(db, 'Partner One');
      insertHost(db, partner, 'Admin@ÄRZTE.example', 'admin@ärzte.example');
      const importId = Number(
        db.prepare(`INSERT INTO imports (source, file, status, items, permissions, created_by, created_at) VALUES ('lastpass', 'x.csv', 'succeeded', 1, 1, 'owner@acme.example', ?)`).run(T0)
          .lastInsertRowid,
      );
      db.prepare(`INSERT INTO import_permissions (import_id, line, folder, email, email_key, permission) VALUES (?, 2, 'Shared', 'User@Bücher.example', 'user@bücher.example', 'read_only')`).run(importId);
      insertAudit(db, 'invite', 'user@bücher.example');
      insertAudit(db, 'invite', 'jose\u0301@x.example');
      insertAudit(db, 'member.add', 'admin@ärzte.example');
      // Not addresses: left exactly as they are.
      insertAudit(db, 'account.add', 'account:login@bücher');
      insertAudit(db, 'partner.create', 'partner:partner one');
      insertAudit(db, 'import', `import:${importId}`);
      ids = { full, own, plain, stale };
    });

    const store = openStore(file, { create: false });
    try {
      expect(await store.schemaVersion()).toBe(SCHEMA_VERSION);
      const all = <T>(sql: string) => peek<T>(file, sql);
      expect(all('SELECT id, email, email_key AS key, setup FROM guests ORDER BY id')).toEqual([
        { id: ids.full, email: 'User@Bücher.example', key: 'user@xn--bcher-kva.example', setup: 'device_trusted' },
        // The shown address becomes NFC too.
        { id: ids.own, email: 'Jos\u00e9@X.example', key: NFC_JOSE, setup: 'own_password' },
        { id: ids.plain, email: 'plain@partner.example', key: 'plain@partner.example', setup: 'temporary_password' },
        { id: ids.stale, email: 'stale@partner.example', key: 'stale@partner.example', setup: 'temporary_password' },
      ]);
      expect(all('SELECT guest_id FROM guest_credentials ORDER BY guest_id')).toEqual([{ guest_id: ids.full }, { guest_id: ids.own }]);
      expect(all('SELECT guest_id, state, in_doubt FROM outbox ORDER BY id')).toEqual([
        { guest_id: ids.full, state: 'sent', in_doubt: 0 },
        { guest_id: ids.plain, state: 'unknown', in_doubt: 1 },
      ]);
      expect(all('SELECT email, email_key FROM members ORDER BY id')).toEqual([
        { email: 'owner@acme.example', email_key: 'owner@acme.example' },
        { email: 'Admin@ÄRZTE.example', email_key: 'admin@xn--rzte-koa.example' },
      ]);
      expect(all('SELECT email_key FROM partner_hosts')).toEqual([{ email_key: 'admin@xn--rzte-koa.example' }]);
      expect(all('SELECT email, email_key FROM import_permissions')).toEqual([{ email: 'User@Bücher.example', email_key: 'user@xn--bcher-kva.example' }]);
      expect(all<{ target: string }>('SELECT target FROM audit ORDER BY id').map((r) => r.target)).toEqual([
        'user@xn--bcher-kva.example',
        NFC_JOSE,
        'admin@xn--rzte-koa.example',
        'account:login@bücher',
        'partner:partner one',
        'import:1',
      ]);
    } finally {
      await store.close();
    }

    const list = await cliOn(file, ['list', '--json']);
    expect(list.code).toBe(0);
    expect(JSON.parse(list.stdout).map((g: { email: string; status: string }) => [g.email, g.status]).sort()).toEqual([
      ['Jos\u00e9@X.example', 'pending'],
      ['User@Bücher.example', 'joined'],
      ['plain@partner.example', 'pending'],
      ['stale@partner.example', 'pending'],
    ]);
    for (const spelling of ['user@xn--bcher-kva.example', 'USER@BÜCHER.EXAMPLE']) {
      const show = await cliOn(file, ['show', spelling, '--json']);
      expect([spelling, show.code]).toEqual([spelling, 0]);
      // The history written under the old key is found under the new one.
      expect(JSON.parse(show.stdout)).toMatchObject({ email: 'User@Bücher.example', status: 'joined', setup: { step: 'device_trusted' }, history: [{ action: 'invite' }] });
    }
    const jose = JSON.parse((await cliOn(file, ['show', NFC_JOSE, '--json'])).stdout);
    expect(jose).toMatchObject({ setup: { step: 'own_password' }, history: [{ action: 'invite' }] });
    // The migrated keys are the keys: a new invite in another spelling is the same guest.
    const again = await cliOn(file, ['invite', 'user@xn--bcher-kva.example']);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/already joined/);
    expect((await cliOn(file, ['--as', 'admin@xn--rzte-koa.example', 'members', 'list', '--json'])).code).toBe(0);
  });

  test('two rows that become one address: exit 2, one line naming both, the file untouched', async () => {
    const file = v3Store((db) => {
      insertGuest(db, 'user@bücher.example', 'user@bücher.example');
      insertGuest(db, 'user@xn--bcher-kva.example', 'user@xn--bcher-kva.example');
      insertGuest(db, 'plain@partner.example', 'plain@partner.example');
      insertAudit(db, 'invite', 'user@bücher.example');
    });
    const before = peek(file, 'SELECT * FROM guests ORDER BY id');
    const schema = peek(file, 'SELECT sql FROM sqlite_schema ORDER BY name');

    const result = await cliOn(file, ['list', '--json']);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    const lines = result.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/cannot upgrade this store/);
    expect(lines[0]).toContain('guests "user@bücher.example" and "user@xn--bcher-kva.example" → "user@xn--bcher-kva.example"');
    expect(lines[0]).not.toContain('plain@partner.example');
    expect(() => openStore(file, { create: false })).toThrow(/cannot upgrade this store/);

    expect(userVersion(file)).toBe(3);
    expect(peek(file, 'SELECT * FROM guests ORDER BY id')).toEqual(before);
    expect(peek(file, 'SELECT email_key FROM guests ORDER BY id')).toEqual([
      { email_key: 'user@bücher.example' },
      { email_key: 'user@xn--bcher-kva.example' },
      { email_key: 'plain@partner.example' },
    ]);
    expect(peek(file, 'SELECT target FROM audit')).toEqual([{ target: 'user@bücher.example' }]);
    // No column, table or index of version 4 was left behind.
    expect(peek(file, 'SELECT sql FROM sqlite_schema ORDER BY name')).toEqual(schema);
  });

  test('the reported three guests: the zero-width-space spelling collides with the clean one, NFD with NFC, members too', async () => {
    const file = v3Store((db) => {
      insertGuest(db, 'victim@x.example', 'victim@x.example');
      insertGuest(db, 'victim@x\u200b.example', 'victim@x\u200b.example');
      // An invisible character in the local part is no part of the identity either.
      insertGuest(db, '\ufeffvictim@x.example', '\ufeffvictim@x.example');
      insertGuest(db, NFD_JOSE, NFD_JOSE);
      insertGuest(db, NFC_JOSE, NFC_JOSE);
      db.prepare(`INSERT INTO members (email, email_key, role, added_by, created_at) VALUES ('Boss@Bücher.example', 'boss@bücher.example', 'admin', NULL, ?)`).run(T0);
      db.prepare(`INSERT INTO members (email, email_key, role, added_by, created_at) VALUES ('boss@xn--bcher-kva.example', 'boss@xn--bcher-kva.example', 'user', NULL, ?)`).run(T0);
    });
    const result = await cliOn(file, ['list']);
    expect(result.code).toBe(2);
    const lines = result.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('members "boss@bücher.example" and "boss@xn--bcher-kva.example"');
    // The invisible character is shown, not hidden in the report.
    expect(lines[0]).toContain('guests "victim@x.example" and "victim@x\\u200b.example" and "\\ufeffvictim@x.example" → "victim@x.example"');
    expect(lines[0]).toContain(`"${NFD_JOSE}" and "${NFC_JOSE}" → "${NFC_JOSE}"`);
    expect(FORMAT_CHARS.test(result.stderr)).toBe(false);
    expect(userVersion(file)).toBe(3);
    expect(peek(file, 'SELECT email_key FROM guests ORDER BY id')).toEqual([
      { email_key: 'victim@x.example' },
      { email_key: 'victim@x\u200b.example' },
      { email_key: '\ufeffvictim@x.example' },
      { email_key: NFD_JOSE },
      { email_key: NFC_JOSE },
    ]);
  });

  test('partner hosts: the same host in two partners is fine, twice in one partner is a collision', async () => {
    const fine = v3Store((db) => {
      const one = insertPartner(db, 'One');
      const two = insertPartner(db, 'Two');
      insertHost(db, one, 'host@bücher.example', 'host@bücher.example');
      insertHost(db, two, 'host@xn--bcher-kva.example', 'host@xn--bcher-kva.example');
    });
    expect((await cliOn(fine, ['list', '--json'])).code).toBe(0);
    expect(userVersion(fine)).toBe(SCHEMA_VERSION);
    expect(peek(fine, 'SELECT partner_id, email_key FROM partner_hosts ORDER BY partner_id')).toEqual([
      { partner_id: 1, email_key: 'host@xn--bcher-kva.example' },
      { partner_id: 2, email_key: 'host@xn--bcher-kva.example' },
    ]);

    const clash = v3Store((db) => {
      const one = insertPartner(db, 'One');
      const two = insertPartner(db, 'Two');
      insertHost(db, one, 'host@bücher.example', 'host@bücher.example');
      insertHost(db, one, 'host@xn--bcher-kva.example', 'host@xn--bcher-kva.example');
      insertHost(db, two, 'host@bücher.example', 'host@bücher.example');
    });
    const result = await cliOn(clash, ['list', '--json']);
    expect(result.code).toBe(2);
    expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(result.stderr).toContain('partner_hosts "host@bücher.example" and "host@xn--bcher-kva.example" → "host@xn--bcher-kva.example"');
    // Reported once: partner Two's single row is no collision.
    expect(result.stderr.match(/partner_hosts/g)).toHaveLength(1);
    expect(userVersion(clash)).toBe(3);
    expect(peek(clash, 'SELECT partner_id, email_key FROM partner_hosts ORDER BY rowid')).toEqual([
      { partner_id: 1, email_key: 'host@bücher.example' },
      { partner_id: 1, email_key: 'host@xn--bcher-kva.example' },
      { partner_id: 2, email_key: 'host@bücher.example' },
    ]);
  });
});
