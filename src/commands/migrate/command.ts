import { Command } from '@commander-js/extra-typings';
import type { Factory } from '../../factory.js';
import { present } from '../../output/present.js';
import { runMigrate, type MigrateOptions } from './run.js';

export function newCmdMigrate(f: Factory, runF = runMigrate) {
  return new Command('migrate')
    .description('copy the store between SQLite (--db FILE) and PostgreSQL, in one transaction, counts verified')
    .option('--to <url>', 'copy the --db file into this empty PostgreSQL database (postgres://user@host:5432/dbname)')
    .option('--from <url>', 'copy this PostgreSQL store into a new --db file')
    .addHelpText(
      'after',
      `
The PostgreSQL password comes from --db-password-file, PGPASSWORD or ~/.pgpass, never the URL.

Examples:
  $ cerby-guests migrate --to postgres://cerby@db.example:5432/cerby
  $ CERBY_GUESTS_DB=copy.db cerby-guests migrate --from postgres://cerby@db.example:5432/cerby`,
    )
    .action(async (flags) => {
      const opts: MigrateOptions = { to: flags.to, from: flags.from };
      await present(f, await runF(opts, f), {
        report: (r, reporter) =>
          reporter.success(`Copied ${r.rows.toLocaleString('en-US')} rows in ${r.tables.length} tables from ${r.from} to ${r.to}; every table's count matches`),
        print: (r, out) => out.rows(r.tables, [
          { key: 'table', header: 'TABLE' },
          { key: 'rows', header: 'ROWS' },
        ]),
      });
    });
}
