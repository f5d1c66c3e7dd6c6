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

export interface WriteOptions {
  /**
   * A commit that is not flushed to disk before it returns (SQLite's synchronous=NORMAL,
   * PostgreSQL's synchronous_commit=off). A killed process loses nothing; a power cut or a
   * server crash may lose the last commits, never half of one. Only for records whose loss is
   * safe: a delivery outcome or hand-over mark that is lost reads as in doubt, never as unsent.
   */
  relaxed?: boolean;
  /**
   * `fn` makes one statement, atomic by itself: on PostgreSQL it then runs without BEGIN and
   * COMMIT (one round trip instead of three). SQLite runs it in a transaction as usual.
   */
  single?: boolean;
}

export interface Db {
  readonly dialect: 'sqlite' | 'postgres';
  /** True for the `tx` a transaction's function is given. */
  readonly inTransaction: boolean;
  all<T>(sql: string, params?: Params): Promise<T[]>;
  get<T>(sql: string, params?: Params): Promise<T | undefined>;
  /** An INSERT, UPDATE or DELETE: how many rows it changed (with RETURNING: how many it returned). */
  run(sql: string, params?: Params): Promise<number>;
  /**
   * A query's rows as arrays (in the order of its SELECT), `size` at a time, from one snapshot.
   * Until the batches are consumed or abandoned nothing else reaches this database: consume
   * them without using it (SQLite reads through its one connection; PostgreSQL, a cursor).
   */
  iterate<T extends unknown[]>(sql: string, params: Params | undefined, size: number): AsyncGenerator<T[]>;
  /**
   * `fn` in one write transaction, committed if it returns, rolled back if it throws. Inside,
   * `tx` is the only way to the database (a write inside is part of this one). In one process,
   * write transactions run one at a time.
   */
  write<T>(fn: (tx: Db) => Promise<T>, options?: WriteOptions): Promise<T>;
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

/**
 * Many rows as one parameter (a JSON array of objects), read as a table: one statement inserts
 * or matches a whole batch (a round trip per batch rather than per row on PostgreSQL). `columns`
 * are the objects' keys with their PostgreSQL types; the select list gives them in that order,
 * each named by its key (quoted: `"emailKey"`).
 */
export function jsonRows(dialect: Db['dialect'], param: string, columns: readonly (readonly [name: string, pgType: string])[]): { select: string; from: string } {
  if (dialect === 'sqlite') {
    return { select: columns.map(([name]) => `json_extract(value, '$.${name}') AS "${name}"`).join(', '), from: `json_each(@${param})` };
  }
  return {
    select: columns.map(([name]) => `r."${name}"`).join(', '),
    from: `json_to_recordset(CAST(@${param} AS json)) AS r(${columns.map(([name, type]) => `"${name}" ${type}`).join(', ')})`,
  };
}

/** `column IN` a list given as one parameter: a JSON array for SQLite, an array for PostgreSQL. */
export function inList(dialect: Db['dialect'], column: string, param: string): string {
  return dialect === 'sqlite' ? `${column} IN (SELECT value FROM json_each(@${param}))` : `${column} = ANY(@${param})`;
}

/** The value for an `inList` parameter. */
export function listParam(dialect: Db['dialect'], values: readonly (string | number)[]): unknown {
  return dialect === 'sqlite' ? JSON.stringify(values) : values;
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
  readonly inTransaction = false;
  private readonly queue = new Queue();
  /** The connection itself, for statements inside a transaction (the queue holds everything else back). */
  private readonly direct: Db;

  constructor(private readonly sql: Sql) {
    const bound = (params: Params | undefined) => sqliteParams(params);
    this.direct = {
      dialect: this.dialect,
      inTransaction: true,
      all: <T>(text: string, params?: Params) => Promise.resolve(sql.stmt(text).all(bound(params)) as T[]),
      get: <T>(text: string, params?: Params) => Promise.resolve(sql.stmt(text).get(bound(params)) as T | undefined),
      run: (text: string, params?: Params) => {
        const statement = sql.stmt(text);
        // A statement with RETURNING returns rows: counted, as PostgreSQL counts them.
        return Promise.resolve(statement.reader ? statement.all(bound(params)).length : statement.run(bound(params)).changes);
      },
      // eslint-disable-next-line @typescript-eslint/require-await -- SQLite reads synchronously; the interface is async for PostgreSQL
      iterate: async function* <T extends unknown[]>(text: string, params: Params | undefined, size: number): AsyncGenerator<T[]> {
        let batch: T[] = [];
        for (const row of sql.rawStmt(text).iterate(bound(params)) as Iterable<T>) {
          batch.push(row);
          if (batch.length >= size) {
            yield batch;
            batch = [];
          }
        }
        if (batch.length) yield batch;
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

  async *iterate<T extends unknown[]>(sql: string, params: Params | undefined, size: number): AsyncGenerator<T[]> {
    // The connection is held (the queue waits) until the batches are consumed or abandoned.
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    await new Promise<void>((acquired) => {
      void this.queue.run(() => {
        acquired();
        return held;
      });
    });
    try {
      yield* this.direct.iterate<T>(sql, params, size);
    } finally {
      release();
    }
  }

  write<T>(fn: (tx: Db) => Promise<T>, options?: WriteOptions): Promise<T> {
    return this.transaction('BEGIN IMMEDIATE', fn, options?.relaxed ? 'NORMAL' : 'FULL');
  }

  read<T>(fn: (tx: Db) => Promise<T>): Promise<T> {
    return this.transaction('BEGIN DEFERRED', fn);
  }

  private transaction<T>(begin: string, fn: (tx: Db) => Promise<T>, synchronous?: 'FULL' | 'NORMAL'): Promise<T> {
    // Inside, only `tx` reaches the database: anything through this object waits in the queue,
    // behind the transaction that would be waiting for it.
    return this.queue.run(async () => {
      if (synchronous) this.sql.setSynchronous(synchronous);
      this.sql.stmt(begin).run();
      try {
        const value = await fn(this.direct);
        this.sql.stmt('COMMIT').run();
        return value;
      } catch (error) {
        if (this.sql.inTransaction) this.sql.stmt('ROLLBACK').run();
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

/** An `@name` parameter; quoted literals and identifiers are matched first and kept as they are ('o@acme.example'). */
const PARAMETER = /'(?:[^']|'')*'|"(?:[^"]|"")*"|@([A-Za-z_][A-Za-z0-9_]*)/g;

/** `sql` with each `@name` renamed: several statements' parameters kept apart in one. */
export function renameParameters(sql: string, rename: (name: string) => string): string {
  return sql.replace(PARAMETER, (match, name: string | undefined) => (name === undefined ? match : `@${rename(name)}`));
}

/** `@name` → `$n`, once per statement text; a name used twice is one parameter. */
export function positional(sql: string): { text: string; names: string[] } {
  const names: string[] = [];
  const text = sql.replace(PARAMETER, (match, name: string | undefined) => {
    if (name === undefined) return match;
    let index = names.indexOf(name);
    if (index === -1) index = names.push(name) - 1;
    return `$${index + 1}`;
  });
  return { text, names };
}

type Queryable = Pick<PoolClient, 'query'>;
type Compiled = Map<string, { text: string; names: string[]; name: string }>;

/**
 * A statement for node-postgres: positional, and named, so that each connection parses and
 * plans it once (a bulk run makes the same few statements tens of thousands of times).
 */
function compile(texts: Compiled, sql: string, params: Params | undefined): { text: string; values: unknown[]; name: string } {
  let compiled = texts.get(sql);
  if (!compiled) {
    compiled = { ...positional(sql), name: `cerby_${texts.size + 1}` };
    texts.set(sql, compiled);
  }
  return { name: compiled.name, text: compiled.text, values: compiled.names.map((n) => (params ?? {})[n] ?? null) };
}

let cursors = 0;

/** Batches of a query through a cursor, on a connection already in a transaction. */
async function* pgBatches<T extends unknown[]>(client: Queryable, query: { text: string; values: unknown[] }, size: number): AsyncGenerator<T[]> {
  const cursor = `cerby_cursor_${++cursors}`;
  await client.query({ text: `DECLARE ${cursor} NO SCROLL CURSOR FOR ${query.text}`, values: query.values });
  try {
    for (;;) {
      const batch = (await client.query({ text: `FETCH ${Math.trunc(size)} FROM ${cursor}`, rowMode: 'array' })).rows as T[];
      if (batch.length) yield batch;
      if (batch.length < size) return;
    }
  } finally {
    await client.query(`CLOSE ${cursor}`).catch(() => undefined);
  }
}

/** The statements of one transaction on its one connection, or (a pool: `single`) one statement on its own. */
function pgStatements(client: PoolClient | Pool, texts: Compiled): Db {
  const query = (sql: string, params: Params | undefined) => client.query(compile(texts, sql, params));
  const tx: Db = {
    dialect: 'postgres',
    inTransaction: true,
    all: async <T>(sql: string, params?: Params) => (await query(sql, params)).rows as T[],
    get: async <T>(sql: string, params?: Params) => (await query(sql, params)).rows[0] as T | undefined,
    run: async (sql: string, params?: Params) => (await query(sql, params)).rowCount ?? 0,
    iterate: <T extends unknown[]>(sql: string, params: Params | undefined, size: number) => pgBatches<T>(client, compile(texts, sql, params), size),
    write: (fn) => fn(tx),
    read: (fn) => fn(tx),
    close: () => Promise.resolve(),
  };
  return tx;
}

/**
 * A pool of PostgreSQL connections behind the async interface. A transaction takes one
 * connection for its whole length; statements outside one take any. Isolation is PostgreSQL's
 * READ COMMITTED: every transition is a compare-and-set on its row, so nothing read earlier is
 * trusted when it commits.
 */
export class PgDb implements Db {
  readonly dialect = 'postgres' as const;
  readonly inTransaction = false;
  private readonly texts: Compiled = new Map();
  /** Single statements, each on any pooled connection. */
  private readonly onPool: Db;

  constructor(
    private readonly pool: Pool,
    /** Connections whose commits are not waited for (synchronous_commit=off): relaxed writes. */
    private readonly relaxedPool: Pool = pool,
  ) {
    this.onPool = pgStatements(pool, this.texts);
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

  async *iterate<T extends unknown[]>(sql: string, params: Params | undefined, size: number): AsyncGenerator<T[]> {
    const client = await this.pool.connect();
    let done = false;
    try {
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      yield* pgBatches<T>(client, compile(this.texts, sql, params), size);
      await client.query('COMMIT');
      done = true;
    } finally {
      // Abandoned early (or failed): the connection goes back without its transaction.
      if (!done) await client.query('ROLLBACK').catch(() => undefined);
      client.release();
    }
  }

  write<T>(fn: (tx: Db) => Promise<T>, options?: WriteOptions): Promise<T> {
    const pool = options?.relaxed ? this.relaxedPool : this.pool;
    if (options?.single) return fn(pgStatements(pool, this.texts));
    return this.transaction(pool, 'BEGIN', fn);
  }

  read<T>(fn: (tx: Db) => Promise<T>): Promise<T> {
    return this.transaction(this.pool, 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY', fn);
  }

  private async transaction<T>(pool: Pool, begin: string, fn: (tx: Db) => Promise<T>): Promise<T> {
    const client = await pool.connect();
    try {
      await client.query(begin);
      try {
        const value = await fn(pgStatements(client, this.texts));
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

  async close(): Promise<void> {
    if (this.relaxedPool !== this.pool) await this.relaxedPool.end();
    await this.pool.end();
  }
}
