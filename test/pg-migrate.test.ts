import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { STORE_TABLES } from '../src/store/store.js';
import { run, tempDir, workspace, type RunResult } from './helpers.js';
import { startPg, type PgServer } from './pg-server.js';

/**
 * `cerby-guests migrate` (issue 15): a store copied from SQLite into an empty PostgreSQL database
 * and back comes out row for row the same, in one transaction with the counts checked; a
 * database that already holds a store, and a target file that exists, are refused untouched.
 */

let server: PgServer;
let pwFile: string;
beforeAll(async () => {
  server = await startPg({ fsync: false });
  pwFile = path.join(tempDir(), 'pgpw');
  fs.writeFileSync(pwFile, `${server.password}\n`, { mode: 0o600 });
}, 120_000);
afterAll(() => server?.stop());

function ok(result: RunResult): RunResult {
  if (result.code !== 0) throw new Error(`exit ${result.code}: ${result.stderr}`);
  return result;
}

/** A store with a bit of everything: members, partners and hosts, accounts and shares, guests in each state, emails, the audit trail, settings. */
async function populated() {
  const ws = await workspace();
  const c = async (argv: string[]) => ok(await ws.cli(argv));
  await c(['members', 'add', 'admin@acme.example', '--role', 'admin']);
  await c(['partners', 'create', 'Partner P']);
  await c(['partners', 'add-host', 'Partner P', 'admin@acme.example']);
  await c(['accounts', 'add', 'Acme Social', '--url', 'https://social.example/acme']);
  await c(['invite', 'ada@p.example', 'bo@p.example', 'cy@p.example', '--partner', 'Partner P']);
  await c(['invite', 'dee@x.example', '--message', 'Welcome — ünïcode']);
  await c(['revoke', 'bo@p.example']);
  await c(['share', 'Acme Social', '--partner', 'Partner P']);
  await c(['config', 'set', 'smtp-rate', '10/s']);
  return ws;
}

/** Every row of every table, as SQLite holds them, in key order (the first columns: id, or the table's key). */
// partner_hosts' key is two columns: sorted by both.
function dump(db: string): Record<string, unknown[]> {
  const handle = new Database(db, { readonly: true });
  try {
    return Object.fromEntries(STORE_TABLES.map((t) => [t, handle.prepare(`SELECT * FROM ${t} ORDER BY ${t === 'workspace_domains' ? '1' : '1, 2'}`).all()]));
  } finally {
    handle.close();
  }
}

test('STORE_TABLES names every table of the store, each after those it references', () => {
  const db = path.join(tempDir(), 'tables.db');
  return run(['--db', db, 'init', '--workspace', 'A', '--owner', 'o@a.example']).then(() => {
    const handle = new Database(db, { readonly: true });
    try {
      const tables = (handle.prepare("SELECT name FROM sqlite_schema WHERE type = 'table'").all() as { name: string }[]).map((t) => t.name);
      expect([...STORE_TABLES].sort()).toEqual(tables.sort());
      for (const table of STORE_TABLES) {
        for (const ref of handle.prepare('SELECT "table" AS parent FROM pragma_foreign_key_list(?)').all(table) as { parent: string }[]) {
          expect({ table, before: STORE_TABLES.indexOf(ref.parent as never) < STORE_TABLES.indexOf(table) }).toEqual({ table, before: true });
        }
      }
    } finally {
      handle.close();
    }
  });
});

test('SQLite → PostgreSQL → SQLite: every row of every table comes back the same; counts per table are printed', async () => {
  const ws = await populated();
  const url = server.createDatabase();
  const to = ok(await ws.cli(['--db-password-file', pwFile, 'migrate', '--to', url]));
  expect(to.stderr).toMatch(/✓ Copied \d+ rows in 18 tables from .*guests\.db to postgres:\/\/cerby@127\.0\.0\.1:\d+\/t\w+; every table's count matches/);
  const printed = Object.fromEntries(to.stdout.trim().split('\n').slice(1).map((l) => l.split('\t') as [string, string]));
  expect(printed).toMatchObject({ guests: '4', members: '2', partners: '1', outbox: '4', settings: '1' });
  expect(to.stderr).not.toContain(server.password);

  // In PostgreSQL, the PostgreSQL way: booleans, timestamps, and identities continuing after the copy.
  const dbName = url.split('/').pop();
  expect(server.psql("SELECT status FROM guests WHERE email_key = 'bo@p.example'", dbName)).toBe('revoked');
  expect(server.psql('SELECT pg_typeof(invited_at) FROM guests LIMIT 1', dbName)).toBe('timestamp with time zone');
  expect(server.psql('SELECT in_doubt FROM outbox LIMIT 1', dbName)).toBe('f');
  expect(server.psql("INSERT INTO partners (name, name_key, created_by, created_at) VALUES ('Q', 'q', 'o', now()) RETURNING id", dbName)).toBe('2');
  server.psql("DELETE FROM partners WHERE name = 'Q'", dbName);

  const back = path.join(tempDir(), 'back.db');
  ok(await run(['--db', back, '--db-password-file', pwFile, 'migrate', '--from', url]));
  expect(dump(back)).toEqual(dump(ws.db));
  // And the copy is a working store.
  const list = ok(await run(['--db', back, 'list', '--json']));
  expect((JSON.parse(list.stdout) as { email: string; status: string }[]).map((g) => `${g.email} ${g.status}`).sort()).toEqual([
    'ada@p.example pending',
    'bo@p.example revoked',
    'cy@p.example pending',
    'dee@x.example pending',
  ]);
});

test('a database that already holds a store is refused, and nothing in it changes', async () => {
  const ws = await populated();
  const url = server.createDatabase();
  ok(await ws.cli(['--db-password-file', pwFile, 'migrate', '--to', url]));
  const before = server.psql('SELECT count(*) FROM audit', url.split('/').pop());
  const again = await ws.cli(['--db-password-file', pwFile, 'migrate', '--to', url]);
  expect(again.code).toBe(2);
  expect(again.stderr).toMatch(/already holds a store \(1 rows in workspace\): migrate copies into an empty database only/);
  expect(server.psql('SELECT count(*) FROM audit', url.split('/').pop())).toBe(before);
});

test('--from never writes over a file; --to and --from are one or the other; a URL that is not PostgreSQL is refused', async () => {
  const ws = await populated();
  const url = server.createDatabase();
  ok(await ws.cli(['--db-password-file', pwFile, 'migrate', '--to', url]));
  const over = await ws.cli(['--db-password-file', pwFile, 'migrate', '--from', url]);
  expect(over.code).toBe(2);
  expect(over.stderr).toMatch(/guests\.db already exists: --from writes a new store, so name another file with --db/);
  expect((await ws.cli(['migrate'])).stderr).toMatch(/say where to copy: --to postgres:\/\/… \(from the --db file\) or --from postgres:\/\/…/);
  expect((await ws.cli(['migrate', '--to', url, '--from', url])).code).toBe(2);
  expect((await ws.cli(['migrate', '--to', 'mysql://x/y'])).stderr).toMatch(/--to takes a PostgreSQL URL \(postgres:\/\/user@host:5432\/dbname\), not mysql:\/\/x\/y/);
});

test('a wrong password: exit 2, one line, nothing created in the database', async () => {
  const ws = await populated();
  const url = server.createDatabase();
  const wrong = path.join(tempDir(), 'wrongpw');
  fs.writeFileSync(wrong, 'nope\n', { mode: 0o600 });
  const result = await ws.cli(['--db-password-file', wrong, 'migrate', '--to', url]);
  expect(result.code).toBe(2);
  expect(result.stderr.trim().split('\n')).toHaveLength(1);
  expect(result.stderr).toMatch(/refused the login: .*password authentication failed/);
  expect(server.psql("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'", url.split('/').pop())).toBe('0');
});
