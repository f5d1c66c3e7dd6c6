import fs from 'node:fs';
import type { Factory } from '../../factory.js';
import { CliError, FailureError, UsageError } from '../../errors.js';
import { ok, type Result } from '../../result.js';
import { openPg } from '../../store/pg/connect.js';
import { copyFromPg, copyToPg, type TableCount } from '../../store/pg/copy.js';
import { isPostgresUrl } from '../../store/pg/target.js';

export interface MigrateOptions {
  /** postgres://… to copy the --db SQLite store into (an empty database). */
  to?: string;
  /** postgres://… to copy into a new SQLite store at --db. */
  from?: string;
}

export interface MigrateReport {
  from: string;
  to: string;
  tables: TableCount[];
  rows: number;
}

/**
 * Copies a store between SQLite and PostgreSQL (SPEC §11): `--to` from the --db file into an
 * empty PostgreSQL database, `--from` the other way into a new file. One transaction on the
 * side written, one snapshot of the side read, row counts compared per table before it commits.
 */
export async function runMigrate(options: MigrateOptions, f: Factory): Promise<Result<MigrateReport>> {
  if ((options.to === undefined) === (options.from === undefined)) {
    throw new UsageError('say where to copy: --to postgres://… (from the --db file) or --from postgres://… (into a new --db file)');
  }
  const url = (options.to ?? options.from)!;
  if (!isPostgresUrl(url)) throw new UsageError(`--${options.to ? 'to' : 'from'} takes a PostgreSQL URL (postgres://user@host:5432/dbname), not ${url}`);
  const target = f.pgTarget(url, 'flag');
  if (options.from !== undefined) {
    // A copy never lands on top of a store: the file must be new (or empty).
    const size = fs.statSync(f.dbPath, { throwIfNoEntry: false })?.size;
    if (size) throw new UsageError(`${f.dbPath} already exists: --from writes a new store, so name another file with --db`);
  }
  const { pool, client } = await openPg(target, { env: f.env, max: 1 });
  try {
    let tables: TableCount[];
    try {
      tables = options.to !== undefined ? await copyToPg(await f.store(), client, target.description) : await copyFromPg(client, await f.createStore(), target.description);
    } catch (error) {
      // A server error mid-copy (a dropped connection, a constraint): one line; both sides rolled back.
      if (error instanceof CliError || !/^[0-9A-Z]{5}$|^E[A-Z]+$/.test(String((error as { code?: string }).code))) throw error;
      throw new FailureError(`the copy stopped: ${(error as Error).message}; nothing was kept (${target.description})`);
    }
    const rows = tables.reduce((sum, t) => sum + t.rows, 0);
    return options.to !== undefined
      ? ok({ from: f.dbPath, to: target.description, tables, rows })
      : ok({ from: target.description, to: f.dbPath, tables, rows });
  } finally {
    client.release();
    await pool.end();
  }
}
