import type { Writable } from 'node:stream';

/** JSON on stdout: indented for a person at a terminal, one compact line for a pipe (like gh). */
export function writeJson(stdout: Writable, isTTY: boolean, value: unknown): void {
  stdout.write(`${isTTY ? JSON.stringify(value, null, 2) : JSON.stringify(value)}\n`);
}
