import { CliError, FailureError } from '../errors.js';

/** Error codes that mean "no room to write": SQLite's and the file system's. */
const NO_ROOM = new Set(['SQLITE_FULL', 'ENOSPC', 'EDQUOT']);

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
    return new FailureError(`no room left to write (${code}): nothing half-written was kept; free some space and run the same command again`);
  }
  if (typeof code === 'string' && code.startsWith('SQLITE_')) return new FailureError(`the store could not be written (${code}): ${message}`);
  return new FailureError(`unexpected error: ${message}`);
}
