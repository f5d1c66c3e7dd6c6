import type Database from 'better-sqlite3';

/** How a repository turns a row as SQLite returns it into what it hands out. */
export type RowMapper<Row, T> = (row: Row) => T;

/**
 * The database handle and its statements, private to the store: `openStore` makes one and
 * hands it to each repository. Statements are prepared once, on first use, and take
 * parameters only. Every write that spans several statements goes through `write()`.
 */
export class Sql {
  private readonly statements = new Map<string, Database.Statement>();
  /** One transaction wrapper, made once: better-sqlite3 builds a new one per `db.transaction()` call (~4 µs, per email in a bulk run). */
  private readonly transaction: Database.Transaction<<T>(fn: () => T) => T>;

  constructor(readonly db: Database.Database) {
    this.transaction = db.transaction(<T>(fn: () => T): T => fn());
  }

  /** A cached prepared statement. */
  stmt(sql: string): Database.Statement {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  /** A cached statement that returns rows as arrays (kept apart: `raw` is a setting of the statement). */
  rawStmt(sql: string): Database.Statement {
    const key = `raw:${sql}`;
    let statement = this.statements.get(key);
    if (!statement) {
      statement = this.db.prepare(sql).raw(true);
      this.statements.set(key, statement);
    }
    return statement;
  }

  get inTransaction(): boolean {
    return this.db.inTransaction;
  }

  /** Runs `fn` in a BEGIN IMMEDIATE transaction: the write lock is taken up front, so no upgrade deadlock. */
  write<T>(fn: () => T): T {
    this.setSynchronous('FULL');
    return this.transaction.immediate(fn) as T;
  }

  /**
   * A write transaction whose commit is not fsynced (synchronous=NORMAL). In WAL mode it still
   * survives a killed process; only a power cut can lose it. Use it only for records whose loss
   * is safe: a delivery outcome or hand-over mark that is lost reads as in doubt (the lease
   * expires), never as unsent, so nothing is resent silently.
   */
  writeRelaxed<T>(fn: () => T): T {
    this.setSynchronous('NORMAL');
    return this.transaction.immediate(fn) as T;
  }

  private synchronous: 'FULL' | 'NORMAL' = 'FULL';

  /** Switched only when it changes, and never inside a transaction (the outer one decides). */
  setSynchronous(mode: 'FULL' | 'NORMAL'): void {
    if (this.synchronous === mode || this.db.inTransaction) return;
    this.db.pragma(`synchronous = ${mode}`);
    this.synchronous = mode;
  }

  /** Runs `fn` in one read transaction: many lookups share one snapshot and one WAL lock. */
  read<T>(fn: () => T): T {
    return this.transaction.deferred(fn) as T;
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
