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
