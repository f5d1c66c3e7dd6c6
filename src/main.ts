/**
 * The process boundary: the only module that reads `process` and the real clock.
 * It builds the dependencies once and hands them to `runCli`.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import v8 from 'node:v8';
import { runCli } from './cli.js';
import type { Deps, Interrupts, Processes, Signal } from './deps.js';
import { packageRoot } from './package-root.js';
import { createPrompter } from './prompter.js';

const SIGNAL_NUMBERS: Record<Signal, number> = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 };

/** The first signal goes to whoever listens (a run that stops cleanly); the second, or one with no listener, exits at once. */
function interrupts(): Interrupts {
  const handlers = new Set<(signal: Signal) => void>();
  let received = false;
  for (const signal of Object.keys(SIGNAL_NUMBERS) as Signal[]) {
    process.on(signal, () => {
      if (received || handlers.size === 0) process.exit(128 + SIGNAL_NUMBERS[signal]);
      received = true;
      for (const handler of handlers) handler(signal);
    });
  }
  return {
    listen(handler) {
      handlers.add(handler);
      return () => handlers.delete(handler);
    },
  };
}

/** A process's start time in clock ticks since boot (Linux /proc), which a reused pid does not share. */
function startTicks(pid: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may contain spaces) start after its ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

/** Lease owners as `host/pid/start`: a lease whose process is gone is taken back at once, not after it expires. */
export function processes(): Processes {
  const host = os.hostname();
  return {
    self: `${host}/${process.pid}/${startTicks(process.pid) ?? '?'}`,
    alive(identity) {
      const [ownerHost, pid, start] = identity.split('/');
      if (ownerHost !== host || !pid || !start || start === '?' || !/^\d+$/.test(pid)) return undefined;
      return startTicks(Number(pid)) === start;
    },
  };
}

/**
 * A bulk run's garbage outlives the young generation (emails wait on SMTP replies), and V8 by
 * default lets the old space grow to several times what is live before it collects: a 30,000-row
 * send peaked at 188 MB with 16 MB live. Growing the heap by at most 30% keeps a run near what
 * it uses (144 MB) for about 5% more CPU. Settable at run time, unlike the heap-size flags.
 */
const HEAP_GROWING_PERCENT = 30;

export async function main(): Promise<void> {
  v8.setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
  const { version } = JSON.parse(fs.readFileSync(path.join(packageRoot(import.meta.url), 'package.json'), 'utf8')) as { version: string };
  const stdinIsTTY = process.stdin.isTTY === true;
  const stdoutIsTTY = process.stdout.isTTY === true;
  // A closed pipe (`list | head`) or a full disk under stdout: remembered, never thrown, so the
  // command still finishes its work (settles leases…) and cli.ts says it in one line.
  let stdoutError: NodeJS.ErrnoException | undefined;
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    stdoutError ??= error;
  });
  const deps: Deps = {
    io: {
      stdin: process.stdin,
      stdout: process.stdout,
      stderr: process.stderr,
      stdinIsTTY,
      stdoutIsTTY,
      stderrIsTTY: process.stderr.isTTY === true,
      columns: process.stderr.columns,
      stdoutError: () => stdoutError,
    },
    prompter: createPrompter({ stdin: process.stdin, stderr: process.stderr, interactive: stdinIsTTY && stdoutIsTTY, columns: process.stderr.columns }),
    now: () => new Date(),
    monotonic: () => performance.now(),
    env: process.env,
    cwd: process.cwd(),
    version,
    interrupts: interrupts(),
    processes: processes(),
  };
  process.exitCode = await runCli(process.argv.slice(2), deps);
}
