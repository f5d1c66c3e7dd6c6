import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { UsageError } from '../src/errors.js';
import { openStore } from '../src/store/store.js';
import { openPg } from '../src/store/pg/connect.js';
import { migratePg, pgMigrations, PG_SCHEMA_VERSION } from '../src/store/pg/migrations.js';
import { isPostgresUrl, parsePgUrl } from '../src/store/pg/target.js';
import { makeCa, type TestCa } from './helpers.js';
import { startPg, type PgServer } from './pg-server.js';

/** The team store's foundations against a real PostgreSQL server: the URL, the login, the schema and its lock. */

let server: PgServer;
let dir: string;
beforeAll(async () => {
  server = await startPg({ fsync: false });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cerby-pgt-'));
}, 120_000);
afterAll(() => {
  server?.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

function passwordFile(mode = 0o600, content?: string): string {
  const file = path.join(dir, `pw-${Math.random().toString(36).slice(2)}`);
  fs.writeFileSync(file, content ?? `${server.password}\n`, { mode });
  fs.chmodSync(file, mode);
  return file;
}

describe('--db: which store, and its URL', () => {
  test('postgres:// and postgresql:// name a PostgreSQL store; anything else is an SQLite path', () => {
    expect(isPostgresUrl('postgres://u@h/db')).toBe(true);
    expect(isPostgresUrl('POSTGRESQL://u@h/db')).toBe(true);
    expect(isPostgresUrl('./postgres.db')).toBe(false);
    expect(isPostgresUrl('postgres:/not-a-url')).toBe(false);
  });

  test('host, port (5432 by default), database and user; the description has no password', () => {
    const t = parsePgUrl('postgres://ops%40team@db.example:6432/guests?sslmode=require', { source: 'environment' });
    expect(t).toMatchObject({ host: 'db.example', port: 6432, database: 'guests', user: 'ops@team', sslMode: 'require' });
    expect(parsePgUrl('postgres://db.example/guests', { source: 'flag' }).port).toBe(5432);
    const withPassword = parsePgUrl('postgres://ops:s3cret@db.example/guests', { source: 'environment' });
    expect(withPassword.password).toBe('s3cret');
    expect(withPassword.description).toBe('postgres://ops@db.example/guests');
  });

  test('TLS by default over the network (verified), plain on loopback; sslmode says otherwise', () => {
    expect(parsePgUrl('postgres://db.example/g', { source: 'flag' }).sslMode).toBe('verify-full');
    expect(parsePgUrl('postgres://127.0.0.1/g', { source: 'flag' }).sslMode).toBe('disable');
    expect(parsePgUrl('postgres://localhost/g?sslmode=verify-ca', { source: 'flag' }).sslMode).toBe('verify-ca');
  });

  test.each([
    ['postgres://ops:s3cret@db.example/g', /password in the --db URL .* PGPASSWORD, ~\/\.pgpass or --db-password-file/],
    ['postgres://db.example', /name the database/],
    ['postgres://db.example/g?sslmode=maybe', /sslmode must be one of disable, prefer, require, verify-ca, verify-full, not maybe/],
    ['postgres://db.example/g?ssl=true', /unknown option ssl/],
    ['postgres://db.example/g?sslrootcert=/nonexistent/ca.pem', /cannot read the PostgreSQL CA file \/nonexistent\/ca.pem/],
    ['postgres://', /invalid PostgreSQL URL/],
  ])('%s is refused in one line (usage, exit 2)', (url, message) => {
    let error: unknown;
    try {
      parsePgUrl(url, { source: 'flag' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).not.toContain('s3cret');
  });

  test('--db-password-file: its first line, only from a 0600 regular file', () => {
    expect(parsePgUrl('postgres://u@h/g', { source: 'flag', passwordFile: passwordFile(0o600, 'pw1\nignored\n') }).password).toBe('pw1');
    expect(() => parsePgUrl('postgres://u@h/g', { source: 'flag', passwordFile: passwordFile(0o644) })).toThrow(/must be mode 0600 \(it is 0644\)/);
    expect(() => parsePgUrl('postgres://u@h/g', { source: 'flag', passwordFile: dir })).toThrow(/not a regular file/);
    expect(() => parsePgUrl('postgres://u@h/g', { source: 'flag', passwordFile: path.join(dir, 'none') })).toThrow(/cannot read the database password file/);
  });
});

describe('logging in to a real server', () => {
  async function login(url: string, options: { passwordFile?: string } = {}) {
    const target = parsePgUrl(url, { source: 'flag', ...options });
    const { pool, client } = await openPg(target, { env: process.env });
    try {
      return (await client.query<{ user: string }>('SELECT current_user AS user')).rows[0]!.user;
    } finally {
      client.release();
      await pool.end();
    }
  }

  function withEnv<T>(vars: Record<string, string | undefined>, fn: () => Promise<T>): Promise<T> {
    const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
    const restore = () => {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    };
    for (const [k, v] of Object.entries(vars)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    return fn().finally(restore);
  }

  test('the password from --db-password-file', async () => {
    await expect(withEnv({ PGPASSWORD: undefined, PGPASSFILE: path.join(dir, 'none') }, () => login(server.url(), { passwordFile: passwordFile() }))).resolves.toBe('cerby');
  });

  test('the password from PGPASSWORD', async () => {
    await expect(withEnv({ PGPASSWORD: server.password, PGPASSFILE: path.join(dir, 'none') }, () => login(server.url()))).resolves.toBe('cerby');
  });

  test('the password from a .pgpass file (PGPASSFILE, else ~/.pgpass)', async () => {
    const pgpass = path.join(dir, 'pgpass');
    fs.writeFileSync(pgpass, `127.0.0.1:${server.port}:*:cerby:${server.password}\n`, { mode: 0o600 });
    await expect(withEnv({ PGPASSWORD: undefined, PGPASSFILE: pgpass }, () => login(server.url()))).resolves.toBe('cerby');
  });

  test('a wrong password is one line naming where passwords come from, and never the password', async () => {
    const wrong = passwordFile(0o600, 'not-the-password\n');
    const error = (await withEnv({ PGPASSWORD: undefined }, () => login(server.url(), { passwordFile: wrong })).catch((e: unknown) => e)) as Error;
    expect(error).toBeInstanceOf(UsageError);
    expect(error.message).toMatch(/^the PostgreSQL store postgres:\/\/cerby@127\.0\.0\.1:\d+\/postgres refused the login: .*password authentication failed/);
    expect(error.message).toContain('--db-password-file, PGPASSWORD or ~/.pgpass');
    expect(error.message).not.toContain('not-the-password');
  });

  test('no password anywhere, when the server asks for one: one line naming the three places', async () => {
    const error = (await withEnv({ PGPASSWORD: undefined, PGPASSFILE: path.join(dir, 'none') }, () => login(server.url())).catch((e: unknown) => e)) as Error;
    expect(error).toBeInstanceOf(UsageError);
    expect(error.message).toMatch(/asks for a password and none was given: use --db-password-file, PGPASSWORD or ~\/\.pgpass$/);
  });

  test('a missing database and a closed port are one line each', async () => {
    const missing = (await withEnv({ PGPASSWORD: server.password }, () => login(server.url('no_such_db'))).catch((e: unknown) => e)) as Error;
    expect(missing.message).toMatch(/database "no_such_db" does not exist \(create it first/);
    const closed = (await login(`postgres://cerby@127.0.0.1:1/x`).catch((e: unknown) => e)) as Error;
    expect(closed.message).toMatch(/cannot reach the PostgreSQL store postgres:\/\/cerby@127\.0\.0\.1:1\/x: connection refused/);
  });

  test('sslmode=require against a server without TLS says so; sslmode=prefer falls back to plain', async () => {
    const required = (await withEnv({ PGPASSWORD: server.password }, () => login(`${server.url()}?sslmode=require`)).catch((e: unknown) => e)) as Error;
    expect(required.message).toMatch(/does not offer TLS, and sslmode=require requires it/);
    await expect(withEnv({ PGPASSWORD: server.password }, () => login(`${server.url()}?sslmode=prefer`))).resolves.toBe('cerby');
  });
});

describe('TLS to the store (sslmode, sslrootcert) against a server with a certificate from a test CA', () => {
  let tlsServer: PgServer;
  let ca: TestCa;
  beforeAll(async () => {
    ca = makeCa();
    tlsServer = await startPg({ fsync: false, tls: { cert: ca.cert, key: ca.key } });
  }, 120_000);
  afterAll(() => tlsServer?.stop());

  /** Connects as the URL says; answers whether the session is encrypted, as the server sees it. */
  async function encrypted(query: string): Promise<boolean> {
    const target = parsePgUrl(`${tlsServer.url()}?${query}`, { source: 'flag' });
    const { pool, client } = await openPg({ ...target, password: tlsServer.password }, { env: {} });
    try {
      return (await client.query<{ ssl: boolean }>('SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()')).rows[0]!.ssl;
    } finally {
      client.release();
      await pool.end();
    }
  }

  test('verify-full with the CA named by sslrootcert: encrypted, name and chain checked', async () => {
    await expect(encrypted(`sslmode=verify-full&sslrootcert=${encodeURIComponent(ca.caFile)}`)).resolves.toBe(true);
    await expect(encrypted(`sslmode=verify-ca&sslrootcert=${encodeURIComponent(ca.caFile)}`)).resolves.toBe(true);
  });

  test('verify-full without the CA: refused in one line that says how to trust it', async () => {
    const error = (await encrypted('sslmode=verify-full').catch((e: unknown) => e)) as Error;
    expect(error.message).toMatch(/its TLS certificate is not trusted .*; name its CA with sslrootcert=FILE, or accept it unverified with sslmode=require$/);
  });

  test('require and prefer encrypt without verifying; disable is plain', async () => {
    await expect(encrypted('sslmode=require')).resolves.toBe(true);
    await expect(encrypted('sslmode=prefer')).resolves.toBe(true);
    await expect(encrypted('sslmode=disable')).resolves.toBe(false);
  });
});

describe('the schema: migrations under an advisory lock', () => {
  async function session(url: string) {
    const target = parsePgUrl(url, { source: 'environment' });
    const { pool, client } = await openPg({ ...target, password: server.password }, { env: {} });
    return {
      client,
      target,
      async close() {
        client.release();
        await pool.end();
      },
    };
  }

  /** The SQLite store's tables and columns at its current version, as `table.column` names. */
  function sqliteColumns(): string[] {
    const file = path.join(dir, `cols-${Math.random().toString(36).slice(2)}.db`);
    void openStore(file, { create: true }).close();
    const db = new Database(file, { readonly: true });
    try {
      const tables = (db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table'").all() as { name: string }[]).map((t) => t.name);
      return tables.flatMap((t) => (db.prepare(`SELECT name FROM pragma_table_info(?)`).all(t) as { name: string }[]).map((c) => `${t}.${c.name}`)).sort();
    } finally {
      db.close();
    }
  }

  test('an empty database gets the whole schema, the same tables and columns as the SQLite store, once', async () => {
    const s = await session(server.createDatabase());
    try {
      await expect(migratePg(s.client, s.target.description)).resolves.toBe(PG_SCHEMA_VERSION);
      const columns = (
        await s.client.query<{ name: string }>(
          "SELECT table_name || '.' || column_name AS name FROM information_schema.columns WHERE table_schema = 'public' AND table_name <> 'cerby_schema'",
        )
      ).rows
        .map((r) => r.name)
        .sort();
      expect(columns).toEqual(sqliteColumns());
      // Again: nothing to do, nothing fails.
      await expect(migratePg(s.client, s.target.description)).resolves.toBe(PG_SCHEMA_VERSION);
      const version = (await s.client.query<{ version: number }>('SELECT version FROM cerby_schema')).rows;
      expect(version).toEqual([{ version: PG_SCHEMA_VERSION }]);
    } finally {
      await s.close();
    }
  });

  test('four processes migrating one empty database at once: one creates, the others wait and find it done', async () => {
    const url = server.createDatabase();
    const sessions = await Promise.all([1, 2, 3, 4].map(() => session(url)));
    try {
      const results = await Promise.allSettled(sessions.map((s) => migratePg(s.client, s.target.description)));
      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'fulfilled']);
      expect(server.psql('SELECT version FROM cerby_schema', url.split('/').pop())).toBe(String(PG_SCHEMA_VERSION));
    } finally {
      await Promise.all(sessions.map((s) => s.close()));
    }
  });

  test('without the lock the same race fails: the lock is what makes it safe', async () => {
    // The check: migration 1 run by two sessions at once without the lock collides on CREATE TABLE.
    const url = server.createDatabase();
    const [a, b] = await Promise.all([session(url), session(url)]);
    try {
      await a.client.query('BEGIN');
      await b.client.query('BEGIN');
      await a.client.query(pgMigrations[0]!);
      const second = b.client.query(pgMigrations[0]!).then(
        () => undefined,
        (error: unknown) => error as Error,
      );
      await a.client.query('COMMIT');
      expect((await second)?.message).toMatch(/already exists|duplicate key/);
      await b.client.query('ROLLBACK');
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  test('a newer schema is refused, and nothing is changed', async () => {
    const url = server.createDatabase();
    const s = await session(url);
    try {
      await migratePg(s.client, s.target.description);
      await s.client.query('UPDATE cerby_schema SET version = 99');
      const error = (await migratePg(s.client, s.target.description).catch((e: unknown) => e)) as Error;
      expect(error).toBeInstanceOf(UsageError);
      expect(error.message).toMatch(/written by a newer cerby-guests \(schema 99; this version knows up to \d+\): upgrade cerby-guests/);
      expect((await s.client.query('SELECT version FROM cerby_schema')).rows).toEqual([{ version: 99 }]);
    } finally {
      await s.close();
    }
  });

  test('a database holding other tables is not a store: refused, untouched', async () => {
    const url = server.createDatabase();
    server.psql('CREATE TABLE invoices (id int)', url.split('/').pop());
    const s = await session(url);
    try {
      await expect(migratePg(s.client, s.target.description)).rejects.toThrow(/already has tables that are not a cerby-guests store \(invoices\): use an empty database/);
      expect(server.psql("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'", url.split('/').pop())).toBe('1');
    } finally {
      await s.close();
    }
  });

  test('constraints do what the SQLite store does: one guest per canonical address, states checked, timestamps in UTC', async () => {
    const url = server.createDatabase();
    const s = await session(url);
    try {
      await migratePg(s.client, s.target.description);
      const insert = (key: string, status = 'pending') =>
        s.client.query(
          `INSERT INTO guests (email, email_key, status, invited_by, invited_at, expires_at) VALUES ($1, $1, $2, 'o@x.example', $3, $3) RETURNING invited_at`,
          [key, status, '2026-11-24T06:00:00.123Z'],
        );
      const row = (await insert('ana@p.example')).rows[0] as { invited_at: string };
      expect(row.invited_at).toBe('2026-11-24T06:00:00.123Z');
      await expect(insert('ana@p.example')).rejects.toThrow(/duplicate key value violates unique constraint "guests_email_key_key"/);
      await expect(insert('bo@p.example', 'lost')).rejects.toThrow(/violates check constraint "guests_status_check"/);
    } finally {
      await s.close();
    }
  });
});
