import type { Readable, Writable } from 'node:stream';
import type { CryptoCosts } from './crypto/costs.js';
import type { Prompter } from './prompter.js';

/** Everything a command may touch of the outside world, built once in `src/main.ts`. */
export interface IO {
  stdin: Readable;
  stdout: Writable;
  stderr: Writable;
  stdinIsTTY: boolean;
  stdoutIsTTY: boolean;
  stderrIsTTY: boolean;
  /** Terminal width for tables and progress bars; undefined when not a terminal. */
  columns?: number;
  /** The error writing stdout met (EPIPE: the reader went away; ENOSPC: /dev/full…), if any. */
  stdoutError?: () => NodeJS.ErrnoException | undefined;
}

export interface Deps {
  io: IO;
  prompter: Prompter;
  /** The clock. Injected so expiry, durations and TOTP are testable. */
  now: () => Date;
  /** A monotonic clock in ms, for pacing and back-off (never for what is stored). */
  monotonic: () => number;
  env: Record<string, string | undefined>;
  cwd: string;
  /** Version printed by --version. */
  version: string;
  /** For tests only: lets a race test pause a command between its slow work and its commit. */
  hooks?: TestHooks;
  /** scrypt's work factors; the real ones unless a test asks for cheaper ones. */
  crypto?: CryptoCosts;
}

export interface TestHooks {
  /** Awaited just before a compare-and-set that follows slow work (e.g. `join.password` after scrypt). */
  beforeCommit?: (point: string) => Promise<void>;
}
