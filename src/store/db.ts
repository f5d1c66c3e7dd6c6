import type { Pool, PoolClient } from 'pg';
import type { Sql } from './sql.js';

/**
 * The one SQL interface the store's repositories are being moved onto (issue 15): asynchronous,
 * so that PostgreSQL can implement it, with SQLite underneath staying synchronous and fast.
 *
 * SQL is written once, with `@name` parameters, in what both dialects read alike: `RETURNING`,
 * `ON CONFLICT`, `TRUE`/`FALSE`, `coalesce`, `CASE`. Values cross the same way on both sides:
 * booleans go in as booleans (0/1 for SQLite) and come out as booleans where the column says
 * so (`booleans`), timestamps are ISO-8601 strings in UTC with milliseconds.
 */
export type Params = Record<string, unknown>;

export interface Db {
  readonly dialect: 'sqlite' | 'postgres';
  all<T>(sql: string, params?: Params): Promise<T[]>;
  get<T>(sql: string, params?: Params): Promise<T | undefined>;
  /** An INSERT, UPDATE or DELETE: how many rows it changed. */
  run(sql: string, params?: Params): Promise<number>;
  /**
   * `fn` in one write transaction, committed if it returns, rolled back if it throws. Inside,
   * `tx` is the only way to the database. In one process, write transactions run one at a time.
   */
  write<T>(fn: (tx: Db) => Promise<T>): Promise<T>;
  /** `fn` reading one snapshot. */
  read<T>(fn: (tx: Db) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** Output columns (by alias) that hold booleans: SQLite gives 0/1, the mapper turns them into booleans. */
export function booleans<T extends object>(row: T, columns: readonly (keyof T)[]): T {
  for (const column of columns) {
    const value = row[column] as unknown;
    if (value === 0 || value === 1) (row as Record<keyof T, unknown>)[column] = value === 1;
  }
  return row;
}

/** Runs one task at a time, in order: an async transaction must not interleave with another on the same connection. */
class Queue {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.tail.then(task);
    this.tail = result.catch(() => undefined);
    return result;
  }
}

// ── SQLite ───────────────────────────────────────────────────────────────

function sqliteParams(params: Params | undefined): Params {
  if (!params) return {};
  const bound: Params = {};
  for (const [key, value] of Object.entries(params)) bound[key] = typeof value === 'boolean' ? (value ? 1 : 0) : value;
  return bound;
}

/**
 * better-sqlite3 behind the async interface, over the store's own connection and statement
 * cache (`Sql`): every call settles at once (no I/O wait), so the cost is one microtask.
 */
export class SqliteDb implements Db {
  readonly dialect = 'sqlite' as const;
  private readonly queue = new Queue();
  /** The connection itself, for statements inside a transaction (the queue holds everything else back). */
  private readonly direct: Db;

  constructor(private readonly sql: Sql) {
    const bound = (params: Params | undefined) => sqliteParams(params);
    this.direct = {
      dialect: this.dialect,
      all: <T>(text: string, params?: Params) => Promise.resolve(sql.stmt(text).all(bound(params)) as T[]),
      get: <T>(text: string, params?: Params) => Promise.resolve(sql.stmt(text).get(bound(params)) as T | undefined),
      run: (text: string, params?: Params) => {
        const statement = sql.stmt(text);
        // A statement with RETURNING returns rows: counted, as PostgreSQL counts them.
        return Promise.resolve(statement.reader ? statement.all(bound(params)).length : statement.run(bound(params)).changes);
      },
      write: (fn) => fn(this.direct),
      read: (fn) => fn(this.direct),
      close: () => Promise.resolve(),
    };
  }

  /** Outside a transaction a single statement runs after any transaction in progress. */
  all<T>(sql: string, params?: Params): Promise<T[]> {
    return this.queue.run(() => this.direct.all<T>(sql, params));
  }

  get<T>(sql: string, params?: Params): Promise<T | undefined> {
    return this.queue.run(() => this.direct.get<T>(sql, params));
  }

  run(sql: string, params?: Params): Promise<number> {
    return this.queue.run(() => this.direct.run(sql, params));
  }

  write<T>(fn: (tx: Db) => Promise<T>): Promise<T> {
    return this.transaction('BEGIN IMMEDIATE', fn);
  }

  read<T>(fn: (tx: Db) => Promise<T>): Promise<T> {
    return this.transaction('BEGIN DEFERRED', fn);
  }

  private transaction<T>(begin: string, fn: (tx: Db) => Promise<T>): Promise<T> {
    // Inside, only `tx` reaches the database: anything through this object waits in the queue,
    // behind the transaction that would be waiting for it.
    return this.queue.run(async () => {
      const db = this.sql.db;
      db.exec(begin);
      try {
        const value = await fn(this.direct);
        db.exec('COMMIT');
        return value;
      } catch (error) {
        if (db.inTransaction) db.exec('ROLLBACK');
        throw error;
      }
    });
  }

  close(): Promise<void> {
    return this.queue.run(() => {
      this.sql.close();
      return Promise.resolve();
    });
  }
}

// ── PostgreSQL ───────────────────────────────────────────────────────────

/** `@name` → `$n`, once per statement text; a name used twice is one parameter. */
export function positional(sql: string): { text: string; names: string[] } {
  const names: string[] = [];
  // Quoted literals and identifiers are matched first and kept as they are ('o@acme.example').
  const text = sql.replace(/'(?:[^']|'')*'|"(?:[^"]|"")*"|@([A-Za-z_][A-Za-z0-9_]*)/g, (match, name: string | undefined) => {
    if (name === undefined) return match;
    let index = names.indexOf(name);
    if (index === -1) index = names.push(name) - 1;
    return `$${index + 1}`;
  });
  return { text, names };
}

type Queryable = Pick<PoolClient, 'query'>;

function pgDirect(client: Queryable, texts: Map<string, { text: string; names: string[] }>, owner: PgDb): Db {
  const prepare = (sql: string, params: Params | undefined) => {
    let compiled = texts.get(sql);
    if (!compiled) {
      compiled = positional(sql);
      texts.set(sql, compiled);
    }
    return { text: compiled.text, values: compiled.names.map((n) => (params ?? {})[n] ?? null) };
  };
  const direct: Db = {
    dialect: 'postgres',
    all: async <T>(sql: string, params?: Params) => (await client.query(prepare(sql, params))).rows as T[],
    get: async <T>(sql: string, params?: Params) => (await client.query(prepare(sql, params))).rows[0] as T | undefined,
    run: async (sql: string, params?: Params) => (await client.query(prepare(sql, params))).rowCount ?? 0,
    write: (fn) => fn(direct),
    read: (fn) => fn(direct),
    close: () => owner.close(),
  };
  return direct;
}

/**
 * A pool of PostgreSQL connections behind the async interface. A transaction takes one
 * connection for its whole length; statements outside one take any. Isolation is PostgreSQL's
 * READ COMMITTED: every transition is a compare-and-set on its row, so nothing read earlier is
 * trusted when it commits.
 */
export class PgDb implements Db {
  readonly dialect = 'postgres' as const;
  private readonly texts = new Map<string, { text: string; names: string[] }>();

  /** Single statements, each on any pooled connection. */
  private readonly onPool: Db;

  constructor(private readonly pool: Pool) {
    this.onPool = pgDirect(pool, this.texts, this);
  }

  all<T>(sql: string, params?: Params): Promise<T[]> {
    return this.onPool.all<T>(sql, params);
  }

  get<T>(sql: string, params?: Params): Promise<T | undefined> {
    return this.onPool.get<T>(sql, params);
  }

  run(sql: string, params?: Params): Promise<number> {
    return this.onPool.run(sql, params);
  }

  write<T>(fn: (tx: Db) => Promise<T>): Promise<T> {
    return this.transaction('BEGIN', fn);
  }

  read<T>(fn: (tx: Db) => Promise<T>): Promise<T> {
    return this.transaction('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY', fn);
  }

  private async transaction<T>(begin: string, fn: (tx: Db) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query(begin);
      try {
        const value = await fn(pgDirect(client, this.texts, this));
        await client.query('COMMIT');
        return value;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      }
    } finally {
      client.release();
    }
  }

  close(): Promise<void> {
    return this.pool.end();
  }
}
