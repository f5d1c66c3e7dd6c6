import path from 'node:path';
import Database from 'better-sqlite3';
import { PgDb, SqliteDb, type Db } from '../src/store/db.js';
import { Sql } from '../src/store/sql.js';
import { openPg } from '../src/store/pg/connect.js';
import { migratePg } from '../src/store/pg/migrations.js';
import { parsePgUrl } from '../src/store/pg/target.js';
import { openStore } from '../src/store/store.js';
import { tempDir } from './helpers.js';
import { startPg, type PgServer } from './pg-server.js';

export type OpenDb = () => Promise<Db>;

/**
 * Both stores for a contract test, each a fresh store with its schema: an SQLite file, and a
 * database on a real PostgreSQL server this registers to start before the file's tests and
 * stop after. Use as `describe.each(bothStores())('%s', (_name, open) => …)`.
 */
export function bothStores(options: { pgConnections?: number } = {}): [string, OpenDb][] {
  let server: PgServer | undefined;
  beforeAll(async () => {
    server = await startPg({ fsync: false });
  }, 120_000);
  afterAll(() => server?.stop());

  const sqlite: OpenDb = async () => {
    const file = path.join(tempDir(), 'store.db');
    await openStore(file, { create: true }).close();
    const handle = new Database(file);
    handle.pragma('journal_mode = WAL');
    return new SqliteDb(new Sql(handle));
  };
  const postgres: OpenDb = async () => {
    const target = { ...parsePgUrl(server!.createDatabase(), { source: 'environment' }), password: server!.password };
    const { pool, client } = await openPg(target, { env: {}, max: options.pgConnections ?? 4 });
    try {
      await migratePg(client, target.description);
    } finally {
      client.release();
    }
    return new PgDb(pool);
  };
  return [
    ['sqlite', sqlite],
    ['postgres', postgres],
  ];
}
