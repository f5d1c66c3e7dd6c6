import fs from 'node:fs';
import { UsageError } from '../errors.js';

/**
 * What a file named on the command line is, for a command that reads it: a regular file is
 * read where it is; a pipe or a terminal-like device (`<(…)`, /dev/stdin) can be read once, so
 * the caller spools it; anything else is refused in words that say what it is.
 */
export type InputKind = 'file' | 'stream';

export function inputKind(file: string, what: string): InputKind {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new UsageError(`cannot read ${what} ${file}: no such file`);
    if (code === 'EACCES') throw new UsageError(`cannot read ${what} ${file}: permission denied`);
    throw new UsageError(`cannot read ${what} ${file}: ${code ?? (error as Error).message}`);
  }
  if (stat.isFile()) {
    try {
      fs.accessSync(file, fs.constants.R_OK);
    } catch {
      throw new UsageError(`cannot read ${what} ${file}: permission denied`);
    }
    return 'file';
  }
  if (stat.isDirectory()) throw new UsageError(`cannot read ${what} ${file}: it is a folder, not a file`);
  if (stat.isFIFO() || stat.isCharacterDevice()) return 'stream';
  throw new UsageError(`cannot read ${what} ${file}: it is not a regular file`);
}
