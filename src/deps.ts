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
  /** SIGINT, SIGTERM, SIGHUP. Absent: the process keeps the default (exit at once). */
  interrupts?: Interrupts;
  /** This process, as a lease owner names it, and whether another owner's process still runs. */
  processes?: Processes;
}

export type Signal = 'SIGINT' | 'SIGTERM' | 'SIGHUP';

export interface Interrupts {
  /**
   * A long run (a bulk invite, a flush) takes the first signal to stop cleanly: it stops
   * claiming, lets messages in DATA finish, records outcomes, releases the rest and prints its
   * summary. A second signal, or a signal while nothing listens, exits at once. Returns the
   * function that stops listening.
   */
  listen(handler: (signal: Signal) => void): () => void;
}

export interface Processes {
  /** `host/pid/start`: enough to tell later whether this very process is still running. */
  self: string;
  /** true: that process runs; false: it is gone (its leases can be taken back at once); undefined: cannot tell (another host). */
  alive(identity: string): boolean | undefined;
}

export interface TestHooks {
  /** Awaited just before a compare-and-set that follows slow work (e.g. `join.password` after scrypt). */
  beforeCommit?: (point: string) => Promise<void>;
}
