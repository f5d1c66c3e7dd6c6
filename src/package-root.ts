import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The folder holding this package's package.json (and data/): found by walking up from this
 * module, so it is right from src/ (tests), dist/ (tsc's output) and the one-file bundle alike.
 */
export function packageRoot(from: string): string {
  let dir = path.dirname(fileURLToPath(from));
  for (;;) {
    if (fs.existsSync(path.join(dir, 'package.json')) && fs.existsSync(path.join(dir, 'data'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('cerby-guests: cannot find its package folder');
    dir = parent;
  }
}
