import fs from 'node:fs';
import path from 'node:path';
import { totpCode } from '../src/crypto/totp.js';
import { openPgStore } from '../src/store/pg/open.js';
import { parsePgUrl } from '../src/store/pg/target.js';
import { Clock, run, runQuickStart, startDownServer, startSmtp, tempDir, type RunResult, type TestSmtp } from './helpers.js';
import { startPg, type PgServer } from './pg-server.js';

/**
 * The CLI on a PostgreSQL store (`--db postgres://…`, issue 15), against a real server the
 * harness starts: the README's quick start and the join flow as they run on SQLite, doctor's
 * lines about the server, and several processes bulk-inviting one CSV into one database, each
 * guest emailed exactly once.
 */

let server: PgServer;
let smtp: TestSmtp;
beforeAll(async () => {
  server = await startPg({ fsync: false });
  smtp = await startSmtp();
}, 120_000);
afterAll(async () => {
  await smtp?.close();
  server?.stop();
});

/** A CLI on a fresh database of the server, in a folder of its own; the password from PGPASSWORD. */
function onPostgres(options: { clock?: Clock } = {}) {
  const url = server.createDatabase();
  const cwd = tempDir();
  const clock = options.clock ?? new Clock();
  const cli = (argv: string[]): Promise<RunResult> => run(['--db', url, ...argv], { cwd, clock, env: { PGPASSWORD: server.password } });
  return { url, cwd, clock, cli };
}

function ok(result: RunResult): RunResult {
  if (result.code !== 0) throw new Error(`exit ${result.code}: ${result.stderr}`);
  return result;
}

test("the README's quick start, its npx lines exactly as written, with CERBY_GUESTS_DB=postgres://… and PGPASSWORD", () => {
  const url = server.createDatabase();
  // Inside the repository, where npx finds this package's bin (as test/readme.test.ts does).
  const folder = fs.mkdtempSync(path.join(new URL('..', import.meta.url).pathname, '.quickstart-pg-'));
  try {
    const outputs = runQuickStart(folder, { CERBY_GUESTS_DB: url, PGPASSWORD: server.password });
    // The store is the database (no file here); the email is in ./cerby-guests.outbox/.
    expect(fs.existsSync(path.join(folder, 'cerby-guests.db'))).toBe(false);
    expect(fs.readdirSync(path.join(folder, 'cerby-guests.outbox')).filter((f) => f.endsWith('.eml'))).toHaveLength(1);
    expect(outputs.at(-1)).toContain('guest@partner.example');
    expect(server.psql('SELECT email FROM guests', url.split('/').pop())).toBe('guest@partner.example');
    expect(outputs.join('')).not.toContain(server.password);
  } finally {
    fs.rmSync(folder, { recursive: true, force: true });
  }
}, 120_000);

test("the README's quick start, then the join: the same commands and outcomes as on an SQLite file", async () => {
  const { cli, cwd, url, clock } = onPostgres();
  ok(await cli(['init', '--workspace', 'Acme', '--owner', 'owner@acme.example']));
  const invite = ok(await cli(['invite', 'guest@partner.example', '--message', 'Welcome aboard']));
  // No SMTP: the email is a file in ./cerby-guests.outbox/ (a PostgreSQL store has no folder of its own).
  const eml = path.join(cwd, 'cerby-guests.outbox', '000001-guest@partner.example.eml');
  expect(invite.stderr).toContain(eml);
  expect(fs.statSync(eml).mode & 0o777).toBe(0o600);
  expect(JSON.parse(ok(await cli(['list', '--json'])).stdout)).toMatchObject([{ email: 'guest@partner.example', status: 'pending', delivery: 'sent' }]);

  const password = 'correct horse battery staple';
  const pwFile = path.join(cwd, 'pw');
  fs.writeFileSync(pwFile, `${password}\n`, { mode: 0o600 });
  const join = ok(await cli(['join', '--email-file', eml, '--new-password-file', pwFile, '--name', 'Ada', '--family-name', 'Lovelace', '--accept-tos', '--apps', 'mobile', '--device', 'laptop', '--json']));
  const { mfa } = JSON.parse(join.stdout) as { mfa: { secret: string } };
  ok(await cli(['join', '--username', 'guest@partner.example', '--password-file', pwFile, '--totp-code', totpCode(mfa.secret, clock.current.getTime())]));
  expect(JSON.parse(ok(await cli(['show', 'guest@partner.example', '--json'])).stdout)).toMatchObject({ status: 'joined', setup: { complete: true } });

  // The same invite again is skipped; a revoke ends it; the audit trail has it all.
  expect((await cli(['invite', 'guest@partner.example'])).stderr).toMatch(/already joined the workspace as a guest/);
  ok(await cli(['revoke', 'guest@partner.example']));
  const shown = JSON.parse(ok(await cli(['show', 'guest@partner.example', '--json'])).stdout) as { status: string; history: { action: string }[] };
  expect(shown.status).toBe('revoked');
  expect(shown.history.map((h) => h.action)).toEqual(expect.arrayContaining(['invite', 'join', 'revoke']));
  // Nothing printed the password; the rows live in the database, not in a file here.
  expect(fs.readdirSync(cwd).sort()).toEqual(['cerby-guests.outbox', 'pw']);
  expect(server.psql('SELECT count(*) FROM guests', url.split('/').pop())).toBe('1');
});

test('doctor names the server, the schema version and the connection; nothing about files', async () => {
  const { cli } = onPostgres();
  ok(await cli(['init', '--workspace', 'Acme', '--owner', 'owner@acme.example']));
  const doctor = await cli(['doctor', '--json']);
  const checks = JSON.parse(doctor.stdout) as { check: string; ok: boolean; detail: string }[];
  const byName = Object.fromEntries(checks.map((c) => [c.check, c]));
  expect(byName.server).toMatchObject({ ok: true, detail: expect.stringMatching(/^PostgreSQL 1\d/) });
  expect(byName['schema version']).toMatchObject({ ok: true, detail: '1 (current)' });
  expect(byName.connection).toMatchObject({ ok: true, detail: 'not encrypted (no TLS), sslmode=disable' });
  expect(byName.workspace).toMatchObject({ ok: true, detail: 'Acme, 1 member(s)' });
  expect(byName['file modes']).toBeUndefined();
  expect(byName.integrity).toBeUndefined();
  expect(doctor.stdout + doctor.stderr).not.toContain(server.password);
});

test('smoke with --db postgres://… runs the whole path in a throw-away file and leaves the team database alone', async () => {
  const { cli, url } = onPostgres();
  ok(await cli(['init', '--workspace', 'Acme', '--owner', 'owner@acme.example']));
  const smoke = await cli(['smoke', '--json']);
  expect(smoke.code).toBe(0);
  const steps = JSON.parse(smoke.stdout) as { step: string; ok: boolean }[];
  expect(steps.map((s) => [s.step, s.ok])).toEqual(expect.arrayContaining([['init', true], ['join', true], ['list shows joined', true]]));
  expect(steps.every((s) => s.ok)).toBe(true);
  expect(server.psql('SELECT count(*) FROM guests', url.split('/').pop())).toBe('0');
  expect(server.psql('SELECT name FROM workspace', url.split('/').pop())).toBe('Acme');
});

test('relaxed writes (delivery marks) commit without waiting for the disk; every other write waits', async () => {
  const { url } = onPostgres();
  // The test server itself runs with synchronous_commit=off (speed): this database as a real one.
  server.psql(`ALTER DATABASE ${url.split('/').pop()} SET synchronous_commit = on`);
  const store = await openPgStore(parsePgUrl(url, { source: 'environment' }), { env: { PGPASSWORD: server.password } });
  try {
    const setting = (options?: { relaxed?: boolean; single?: boolean }) =>
      store.write(async (tx) => (await tx.db.get<{ synchronous_commit: string }>('SHOW synchronous_commit'))!.synchronous_commit, options);
    expect(await setting()).toBe('on');
    expect(await setting({ relaxed: true })).toBe('off');
    expect(await setting({ relaxed: true, single: true })).toBe('off');
    expect(await store.read(async (tx) => (await tx.db.get<{ synchronous_commit: string }>('SHOW synchronous_commit'))!.synchronous_commit)).toBe('on');
    expect(await store.schemaVersion()).toBe(1);
  } finally {
    await store.close();
  }
});

test("a hand-over mark that waits on the server does not count against the send's deadline: the email then goes out and is sent", async () => {
  const { url, cwd, clock } = onPostgres();
  const database = url.split('/').pop();
  const cli = (argv: string[]) => run(['--db', url, '--smtp', smtp.url, ...argv], { cwd, clock, env: { PGPASSWORD: server.password, CERBY_GUESTS_SEND_DEADLINE_MS: '1000' } });
  ok(await cli(['init', '--workspace', 'Acme', '--owner', 'owner@acme.example']));
  // Each hand-over mark's event takes 2 s to write: longer than the 1 s the server is given.
  server.psql(
    `CREATE FUNCTION slow_start() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF NEW.event = 'start' THEN PERFORM pg_sleep(2); END IF; RETURN NEW; END $$;
     CREATE TRIGGER slow_start BEFORE INSERT ON outbox_events FOR EACH ROW EXECUTE FUNCTION slow_start();`,
    database,
  );
  const before = smtp.messages.length;
  const result = await cli(['invite', 'patient@partner.example']);
  expect(result.stderr).not.toMatch(/unknown|no answer/);
  expect(result.code).toBe(0);
  expect(server.psql(`SELECT state FROM outbox`, database)).toBe('sent');
  expect(smtp.messages.slice(before).map((m) => m.to)).toEqual([['patient@partner.example']]);
});

test('an SMTP server that is down stops a bulk run of a file larger than one read: it ends, what it read is queued, the rest untouched', async () => {
  // 10,000 rows (about 430 KB): the run stops after its first few hundred, while the CSV reader
  // still holds parsed rows of a file it has read to the end. It used to wait for them forever.
  const down = await startDownServer();
  try {
    const { cli, cwd, url } = onPostgres();
    ok(await cli(['init', '--workspace', 'Acme', '--owner', 'owner@acme.example']));
    const csv = path.join(cwd, 'big.csv');
    fs.writeFileSync(csv, `email,name\n${Array.from({ length: 10_000 }, (_, i) => `guest${i}@partner.example,Guest Number ${i} of a long list`).join('\n')}\n`);
    expect(fs.statSync(csv).size).toBeGreaterThan(2 * 256 * 1024);
    const result = await cli(['--smtp', down.url, 'invite', '--csv', csv]);
    expect(result.code).toBe(1);
    const summary = /queued ([\d,]+) \(SMTP .* is unreachable .*\), skipped 0, failed 0 of ([\d,]+) rows/.exec(result.stderr);
    expect(summary).not.toBeNull();
    const [queued, rows] = [summary![1]!, summary![2]!].map((n) => Number(n.replace(/,/g, '')));
    expect(queued).toBe(rows);
    expect(rows).toBeLessThan(10_000);
    const database = url.split('/').pop();
    expect(server.psql(`SELECT count(*) FROM outbox WHERE state = 'queued'`, database)).toBe(String(rows));
    expect(server.psql(`SELECT count(*) FROM guests`, database)).toBe(String(rows));
  } finally {
    await down.close();
  }
}, 30_000);

test('two inits at once on one database: one makes the workspace, the other says it is there (exit 2), nothing half-made', async () => {
  const { cli, url } = onPostgres();
  const [a, b] = await Promise.all([
    cli(['init', '--workspace', 'Acme', '--owner', 'owner@acme.example']),
    cli(['init', '--workspace', 'Other', '--owner', 'boss@other.example']),
  ]);
  expect([a.code, b.code].sort()).toEqual([0, 2]);
  const loser = a.code === 2 ? a : b;
  expect(loser.stderr.trim()).toMatch(new RegExp(`^cerby-guests: ${url.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} already holds the workspace "(Acme|Other)"; nothing was changed$`));
  expect(server.psql('SELECT count(*) FROM members', url.split('/').pop())).toBe('1');
});

test('a command before init says which init to run; a wrong password is one line, exit 2', async () => {
  const { cli, url } = onPostgres();
  const before = await cli(['list']);
  expect(before.code).toBe(2);
  expect(before.stderr.trim()).toBe(`cerby-guests: no workspace yet in ${url}: run \`cerby-guests --db ${url} init --workspace NAME --owner EMAIL\` first`);
  const wrong = await run(['--db', url, 'list'], { env: { PGPASSWORD: 'not the password' } });
  expect(wrong.code).toBe(2);
  expect(wrong.stderr.trim().split('\n')).toHaveLength(1);
  expect(wrong.stderr).toMatch(/password authentication failed/);
});

test('four processes bulk-inviting one CSV into one database: every guest once, one email each, no errors', async () => {
  const { cli, url, cwd } = onPostgres();
  ok(await cli(['init', '--workspace', 'Acme', '--owner', 'owner@acme.example']));
  const rows = 200;
  const csv = path.join(cwd, 'guests.csv');
  fs.writeFileSync(csv, `email\n${Array.from({ length: rows }, (_, i) => `g${i}@partner.example`).join('\n')}\n`);
  const before = smtp.messages.length;
  // Four runs at once, each with its own connections (and working folder), as four machines.
  const runs = await Promise.all(
    [0, 1, 2, 3].map(() => run(['--db', url, '--smtp', smtp.url, 'invite', '--csv', csv, '--json'], { cwd: tempDir(), env: { PGPASSWORD: server.password } })),
  );
  for (const r of runs) expect([r.code, r.stderr]).toEqual([0, expect.stringMatching(/✓ Invited \d+, skipped \d+, failed 0 of 200 rows/)]);
  const invited = runs.map((r) => (JSON.parse(r.stdout) as { counts: { invited: number; skipped: number; failed: number } }).counts);
  expect(invited.reduce((n, c) => n + c.invited, 0)).toBe(rows);
  expect(invited.every((c) => c.failed === 0 && c.invited + c.skipped === rows)).toBe(true);
  const recipients = smtp.messages.slice(before).map((m) => m.to.join(','));
  expect(recipients).toHaveLength(rows);
  expect(new Set(recipients).size).toBe(rows);
  expect(server.psql("SELECT count(*) FROM outbox WHERE state = 'sent'", url.split('/').pop())).toBe(String(rows));
});

test("a bulk run refreshes the planner's statistics once it has recorded 1,000 invites (its statements are planned from them); a smaller run leaves them to autovacuum", async () => {
  const { cli, url, cwd } = onPostgres();
  ok(await cli(['init', '--workspace', 'Acme', '--owner', 'owner@acme.example']));
  const database = url.split('/').pop();
  // Manual ANALYZEs only: autovacuum's count apart, so the server's own timing cannot interfere.
  const analyzed = () => server.psql(`SELECT string_agg(relname || ' ' || analyze_count, ', ' ORDER BY relname) FROM pg_stat_user_tables WHERE relname IN ('guests', 'outbox')`, database);
  const csv = (name: string, from: number, rows: number) => {
    const file = path.join(cwd, name);
    fs.writeFileSync(file, `email\n${Array.from({ length: rows }, (_, i) => `g${from + i}@partner.example`).join('\n')}\n`);
    return file;
  };
  const small = ok(await cli(['--smtp', smtp.url, 'invite', '--csv', csv('small.csv', 0, 999)]));
  expect(small.stderr).toMatch(/✓ Invited 999, skipped 0, failed 0 of 999 rows/);
  expect(analyzed()).toBe('guests 0, outbox 0');
  const large = ok(await cli(['--smtp', smtp.url, 'invite', '--csv', csv('large.csv', 999, 1000)]));
  expect(large.stderr).toMatch(/✓ Invited 1,000, skipped 0, failed 0 of 1,000 rows/);
  expect(analyzed()).toBe('guests 1, outbox 1');
  expect(server.psql("SELECT count(*) FROM outbox WHERE state = 'sent'", database)).toBe('1999');
}, 60_000);
