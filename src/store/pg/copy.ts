import type { PoolClient } from 'pg';
import { FailureError, UsageError } from '../../errors.js';
import { BOOLEAN_COLUMNS, STORE_TABLES, type Store, type StoreTable } from '../store.js';
import { migratePg } from './migrations.js';

/** PostgreSQL takes at most 65,535 parameters a statement: a batch of rows stays below. */
const MAX_PARAMETERS = 60_000;
const FETCH = 2000;

export interface TableCount {
  table: StoreTable;
  rows: number;
}

/** The columns of a table in the PostgreSQL store, in order. */
async function pgColumns(client: PoolClient, table: StoreTable): Promise<string[]> {
  const result = await client.query<{ name: string }>(
    'SELECT column_name AS name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position',
    [table],
  );
  return result.rows.map((r) => r.name);
}

async function pgCount(client: PoolClient, table: StoreTable): Promise<number> {
  return Number((await client.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`)).rows[0]!.n);
}

/** A database `migrate` may fill: it holds no store yet, or an empty one. */
async function assertEmpty(client: PoolClient, description: string): Promise<void> {
  for (const table of STORE_TABLES) {
    const rows = await pgCount(client, table);
    if (rows > 0) throw new UsageError(`${description} already holds a store (${rows} rows in ${table}): migrate copies into an empty database only`);
  }
}

async function insertRows(client: PoolClient, table: StoreTable, columns: readonly string[], rows: readonly unknown[][]): Promise<void> {
  const booleans = columns.map((c) => BOOLEAN_COLUMNS.has(`${table}.${c}`));
  const perStatement = Math.max(1, Math.floor(MAX_PARAMETERS / columns.length));
  for (let start = 0; start < rows.length; start += perStatement) {
    const chunk = rows.slice(start, start + perStatement);
    const values: unknown[] = [];
    const tuples = chunk.map((row) => {
      const placeholders = row.map((value, i) => {
        values.push(booleans[i] && value !== null ? value === 1 || value === true : value);
        return `$${values.length}`;
      });
      return `(${placeholders.join(', ')})`;
    });
    await client.query(`INSERT INTO ${table} (${columns.join(', ')}) VALUES ${tuples.join(', ')}`, values);
  }
}

/** Identity columns continue after the copied ids, as SQLite's rowids would have. */
async function resetIdentities(client: PoolClient): Promise<void> {
  const identities = await client.query<{ table_name: string }>(
    "SELECT table_name FROM information_schema.columns WHERE table_schema = current_schema() AND column_name = 'id' AND is_identity = 'YES'",
  );
  for (const { table_name: table } of identities.rows) {
    await client.query(`SELECT setval(pg_get_serial_sequence($1, 'id'), coalesce((SELECT max(id) FROM ${table}), 0) + 1, false)`, [table]);
  }
}

/**
 * Copies an SQLite store into an empty PostgreSQL database in one transaction: the schema (under
 * its advisory lock), every table from one snapshot of the source, identities moved past the
 * copied ids, then the row counts compared table by table. A difference rolls it all back.
 */
export async function copyToPg(store: Store, client: PoolClient, description: string): Promise<TableCount[]> {
  await migratePg(client, description);
  await client.query('BEGIN');
  try {
    // Another migrate into the same database waits here, then finds it full.
    await client.query('LOCK TABLE workspace IN EXCLUSIVE MODE');
    await assertEmpty(client, description);
    const counts = await store.snapshot(async () => {
      const copied: TableCount[] = [];
      for (const table of STORE_TABLES) {
        const columns = store.columns(table);
        const target = await pgColumns(client, table);
        const missing = columns.filter((c) => !target.includes(c));
        if (missing.length) throw new FailureError(`${description} has no column ${table}.${missing[0]}: its schema is older than this store's`);
        for (const batch of store.rowBatches(table, columns, FETCH)) await insertRows(client, table, columns, batch);
        copied.push({ table, rows: store.countRows(table) });
      }
      return copied;
    });
    await resetIdentities(client);
    await verify(counts, (table) => pgCount(client, table), description);
    await client.query('COMMIT');
    return counts;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

/**
 * Copies a PostgreSQL store into a new, empty SQLite store (`migrate --from`), from one
 * snapshot of the source (REPEATABLE READ), in one SQLite transaction, counts compared.
 */
export async function copyFromPg(client: PoolClient, store: Store, description: string): Promise<TableCount[]> {
  const schema = await client.query<{ version: number }>('SELECT version FROM cerby_schema').catch(() => undefined);
  if (!schema?.rows[0]) throw new UsageError(`${description} holds no cerby-guests store`);
  await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
  try {
    const counts = await store.fill(async (insert) => {
      const copied: TableCount[] = [];
      for (const table of STORE_TABLES) {
        const columns = store.columns(table);
        const booleans = columns.map((c) => BOOLEAN_COLUMNS.has(`${table}.${c}`));
        // In key order (id, or the table's key columns first), so a copy back lists rows as the original does.
        await client.query(`DECLARE rows NO SCROLL CURSOR FOR SELECT ${columns.join(', ')} FROM ${table} ORDER BY 1${columns.length > 1 ? ', 2' : ''}`);
        for (;;) {
          const { rows } = await client.query<unknown[]>({ text: `FETCH ${FETCH} FROM rows`, rowMode: 'array' });
          if (rows.length === 0) break;
          // SQLite binds no booleans: 0 and 1, as its own rows hold them.
          insert(table, columns, booleans.includes(true) ? rows.map((row) => row.map((v, i) => (booleans[i] && typeof v === 'boolean' ? Number(v) : v))) : rows);
        }
        await client.query('CLOSE rows');
        copied.push({ table, rows: await pgCount(client, table) });
      }
      await verify(copied, (table) => Promise.resolve(store.countRows(table)), store.path);
      return copied;
    });
    await client.query('COMMIT');
    return counts;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

async function verify(expected: TableCount[], count: (table: StoreTable) => Promise<number>, where: string): Promise<void> {
  for (const { table, rows } of expected) {
    const found = await count(table);
    if (found !== rows) throw new FailureError(`the copy into ${where} is incomplete: ${table} has ${found} rows, the source ${rows}; nothing was kept`);
  }
}
