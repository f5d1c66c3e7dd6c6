/**
 * Typed errors. Each carries the exit code of SPEC §9; `src/cli.ts` is the one
 * place that turns them into a stderr line and an exit code.
 */
export const ExitCode = {
  ok: 0,
  failure: 1,
  usage: 2,
  partial: 3,
  notPermitted: 4,
  cancelled: 130,
} as const;

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** Bad usage or bad input: unknown flag, invalid email, unreadable file. Exit 2. */
export class UsageError extends CliError {
  constructor(message: string) {
    super(message, ExitCode.usage);
  }
}

/** A role check refused the action; nothing was changed. Exit 4. */
export class NotPermittedError extends CliError {
  constructor(message: string) {
    super(message, ExitCode.notPermitted);
  }
}

/** The work could not be done (SMTP unreachable, store error…). Exit 1. */
export class FailureError extends CliError {
  constructor(message: string) {
    super(message, ExitCode.failure);
  }
}

/** A signal stopped a long run; it finished cleanly and the exit code says which (SIGINT 130, SIGTERM 143, SIGHUP 129). */
export class Interrupted extends CliError {
  constructor(readonly signal: 'SIGINT' | 'SIGTERM' | 'SIGHUP') {
    super(`stopped by ${signal}`, 128 + { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 }[signal]);
  }
}

/** Ctrl-C at a prompt. Exit 130. */
export class CancelledError extends CliError {
  constructor(message = 'cancelled') {
    super(message, ExitCode.cancelled);
  }
}

/** A system error code in words, for the one line a user reads (undefined: no code). */
export function errnoText(code: string | undefined): string | undefined {
  if (code === undefined) return undefined;
  const words: Record<string, string> = {
    EACCES: 'permission denied',
    EPERM: 'operation not permitted',
    ENOSPC: 'no space left on the device',
    EDQUOT: 'disk quota exceeded',
    EROFS: 'the file system is read-only',
    EISDIR: 'it is a folder',
    ENOENT: 'no such file or folder',
    EPIPE: 'the reading end was closed',
    EIO: 'an input/output error',
  };
  return words[code] ? `${words[code]} (${code})` : code;
}
