import fs from 'node:fs';
import QRCode from 'qrcode';
import { UsageError } from '../errors.js';

/** ISO/IEC 18004 asks for 4 light modules around the code. */
export const QUIET_ZONE = 4;

// Explicit 256-colour black on white for every cell, the quiet zone too: the code reads the
// same on a light or a dark terminal (a theme's own colours never show through).
const DARK_FG = '\x1b[38;5;16m';
const LIGHT_FG = '\x1b[38;5;231m';
const DARK_BG = '\x1b[48;5;16m';
const LIGHT_BG = '\x1b[48;5;231m';
const RESET = '\x1b[0m';
/** Upper half block: its foreground paints the top module, its background the bottom one. */
const UPPER_HALF = '▀';

/** The code's modules, with the quiet zone: true is dark. */
export function qrModules(text: string): boolean[][] {
  const { modules } = QRCode.create(text, { errorCorrectionLevel: 'M' });
  const size = modules.size + 2 * QUIET_ZONE;
  const rows: boolean[][] = [];
  for (let y = 0; y < size; y++) {
    const row: boolean[] = [];
    for (let x = 0; x < size; x++) {
      const inside = x >= QUIET_ZONE && y >= QUIET_ZONE && x < size - QUIET_ZONE && y < size - QUIET_ZONE;
      row.push(inside && modules.get(y - QUIET_ZONE, x - QUIET_ZONE) === 1);
    }
    rows.push(row);
  }
  return rows;
}

/** The code for a terminal: two module rows per text line, colours set on every cell. */
export function renderQrForTerminal(text: string): string {
  const rows = qrModules(text);
  const lines: string[] = [];
  for (let y = 0; y < rows.length; y += 2) {
    const top = rows[y] ?? [];
    const bottom = rows[y + 1];
    let line = '';
    for (let x = 0; x < top.length; x++) {
      // The last line of an odd height gets a light bottom half: still quiet zone.
      line += `${top[x] ? DARK_FG : LIGHT_FG}${bottom?.[x] ? DARK_BG : LIGHT_BG}${UPPER_HALF}`;
    }
    lines.push(`${line}${RESET}`);
  }
  return lines.join('\n');
}

/**
 * `--qr-file code.png`: the code as an image, created 0600 and never over an existing file
 * or through a symlink (the path is the guest's to choose, its contents a secret).
 */
export async function writeQrPng(file: string, text: string): Promise<void> {
  const png = await QRCode.toBuffer(text, { type: 'png', errorCorrectionLevel: 'M', margin: QUIET_ZONE, scale: 8 });
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW, 0o600);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw new UsageError(`--qr-file ${file} exists already: give a new file name (it will hold your MFA secret)`);
    throw new UsageError(`cannot create --qr-file ${file} (${code ?? 'error'})`);
  }
  try {
    fs.writeSync(fd, png);
  } finally {
    fs.closeSync(fd);
  }
}
