import type Database from 'better-sqlite3';

/**
 * The SQLite handle and its statements, private to the store: `openStore` makes one, and
 * `SqliteDb` runs the repositories' SQL (and its transactions) through it. Statements are
 * prepared once, on first use, and take parameters only.
 */
export class Sql {
  private readonly statements = new Map<string, Database.Statement>();

  constructor(readonly db: Database.Database) {}

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

  private synchronous: 'FULL' | 'NORMAL' = 'FULL';

  /**
   * Whether commits wait for the disk: FULL, or NORMAL for relaxed writes (in WAL mode a killed
   * process still loses nothing; see `WriteOptions.relaxed`). Switched only when it changes, and
   * never inside a transaction (the outer one decides).
   */
  setSynchronous(mode: 'FULL' | 'NORMAL'): void {
    if (this.synchronous === mode || this.db.inTransaction) return;
    this.db.pragma(`synchronous = ${mode}`);
    this.synchronous = mode;
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
