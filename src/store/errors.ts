import { CliError, FailureError } from '../errors.js';

/** Error codes that mean "no room to write": SQLite's, the file system's, and PostgreSQL's disk_full. */
const NO_ROOM = new Set(['SQLITE_FULL', 'ENOSPC', 'EDQUOT', '53100']);

/** A PostgreSQL SQLSTATE (node-postgres puts it in `code`): five digits or capitals. */
const SQLSTATE = /^[0-9A-Z]{5}$/;

/**
 * One line for an error met while writing: a full disk says so and what to do, a store
 * error names its code; nothing else of SQLite's internals, and never a stack trace.
 * Every write is a transaction, so what failed left nothing half-written behind.
 */
export function storeFailure(error: unknown): CliError {
  if (error instanceof CliError) return error;
  const code = (error as { code?: unknown } | undefined)?.code;
  const message = error instanceof Error ? error.message.split('\n')[0]! : String(error);
  if (typeof code === 'string' && NO_ROOM.has(code)) {
    const what = code === '53100' ? 'on the PostgreSQL server (53100 disk_full)' : `(${code})`;
    return new FailureError(`no room left to write ${what}: nothing half-written was kept; free some space and run the same command again`);
  }
  if (typeof code === 'string' && code.startsWith('SQLITE_')) return new FailureError(`the store could not be written (${code}): ${message}`);
  if (typeof code === 'string' && SQLSTATE.test(code)) return new FailureError(`the store could not be written (PostgreSQL ${code}): ${message}`);
  return new FailureError(`unexpected error: ${message}`);
}
