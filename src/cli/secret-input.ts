import fs from 'node:fs';
import type { Readable } from 'node:stream';
import { UsageError } from '../errors.js';

/** A password file holds one password: more than this is a mistake (a wrong file). */
const MAX_SECRET_BYTES = 64 * 1024;

/**
 * A secret from `--…-file FILE`, or from standard input for `-` (like `docker login
 * --password-stdin`), so it never appears in argv. One trailing newline is dropped (`echo`
 * and editors add it); everything else, spaces included, is the secret.
 */
export async function readSecretInput(source: string, flag: string, stdin: Readable): Promise<string> {
  const bytes = source === '-' ? await readAll(stdin, flag) : readFile(source, flag);
  const text = bytes.toString('utf8').replace(/\r?\n$/, '');
  if (!text) throw new UsageError(`${flag} ${source === '-' ? '(standard input)' : source} is empty`);
  return text;
}

function readFile(file: string, flag: string): Buffer {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (error) {
    throw new UsageError(`cannot read ${flag} ${file} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  try {
    if (fs.fstatSync(fd).isDirectory()) throw new UsageError(`${flag} ${file} is a folder, not a file`);
    const buffer = Buffer.alloc(MAX_SECRET_BYTES + 1);
    let length = 0;
    for (;;) {
      const read = fs.readSync(fd, buffer, length, buffer.length - length, null);
      if (read === 0) break;
      length += read;
      if (length > MAX_SECRET_BYTES) throw new UsageError(`${flag} ${file} is larger than ${MAX_SECRET_BYTES / 1024} KiB: it does not hold a password`);
    }
    return buffer.subarray(0, length);
  } finally {
    fs.closeSync(fd);
  }
}

async function readAll(stdin: Readable, flag: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of stdin) {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    length += buffer.length;
    if (length > MAX_SECRET_BYTES) throw new UsageError(`${flag} - (standard input) is larger than ${MAX_SECRET_BYTES / 1024} KiB: it does not hold a password`);
    chunks.push(buffer);
  }
  return Buffer.concat(chunks);
}

/**
 * A password kept in a file for a service (`--smtp-password-file`, `--db-password-file`): a
 * regular file readable by its owner only (0600, as ssh and libpq ask of theirs), whose first
 * line is the password. `what` names it in messages ("SMTP password file").
 */
export function readPasswordFile(file: string, what: string): string {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch {
    throw new UsageError(`cannot read the ${what} ${file}`);
  }
  if (!stat.isFile()) throw new UsageError(`the ${what} ${file} is not a regular file`);
  if (stat.mode & 0o077) {
    throw new UsageError(`the ${what} ${file} must be mode 0600 (it is ${(stat.mode & 0o777).toString(8).padStart(4, '0')})`);
  }
  return fs.readFileSync(file, 'utf8').split(/\r?\n/)[0] ?? '';
}
