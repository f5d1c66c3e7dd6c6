/**
 * The process boundary: the only module that reads `process` and the real clock.
 * It builds the dependencies once and hands them to `runCli`.
 */
import { createRequire } from 'node:module';
import { runCli } from './cli.js';
import type { Deps } from './deps.js';
import { createPrompter } from './prompter.js';

export async function main(): Promise<void> {
  const require = createRequire(import.meta.url);
  const { version } = require('../package.json') as { version: string };
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
    prompter: createPrompter({ stdin: process.stdin, stderr: process.stderr, interactive: stdinIsTTY && stdoutIsTTY }),
    now: () => new Date(),
    monotonic: () => performance.now(),
    env: process.env,
    cwd: process.cwd(),
    version,
  };
  process.exitCode = await runCli(process.argv.slice(2), deps);
}
