import { createRequire } from 'node:module';
import type TableType from 'cli-table3';
import type { ChalkInstance } from 'chalk';
import type { IO } from '../deps.js';

/** What printing needs: the streams, stdout's colours, and whether --json was asked for. */
export interface PrintContext {
  io: IO;
  color: ChalkInstance;
  json: boolean;
}

export interface Column<T> {
  key: keyof T & string;
  header: string;
  /** Shown on a terminal table; all columns go to TSV/CSV/JSON. */
  terminal?: boolean;
  /** For the terminal table only: scripts get the raw value. */
  format?: (value: unknown, row: T) => string;
}

export type OutputFormat = 'table' | 'tsv' | 'json' | 'csv';

export function outputFormat(ctx: PrintContext, csv = false): OutputFormat {
  if (ctx.json) return 'json';
  if (csv) return 'csv';
  return ctx.io.stdoutIsTTY ? 'table' : 'tsv';
}

function cell(value: unknown): string {
  if (value === null || value === undefined) return '';
  // Rows hold text, numbers and booleans (and arrays of text, e.g. apps); nothing else is printed.
  if (typeof value === 'string') return value;
  return typeof value === 'number' || typeof value === 'boolean' ? String(value) : JSON.stringify(value);
}

// A spreadsheet treats a cell starting with one of these as a formula (CSV injection).
const FORMULA_START = /^[=+\-@\t\r]/;

/** One CSV field: formula prefixes neutralised with a leading apostrophe, RFC 4180 quoting. */
export function csvField(value: unknown): string {
  let text = cell(value);
  if (FORMULA_START.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** Terminal cells never carry raw control characters (escape sequences) from stored data. */
function safeForTerminal(text: string): string {
  // eslint-disable-next-line no-control-regex -- control characters are what this finds
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

export function printRows<T extends object>(ctx: PrintContext, rows: Iterable<T>, columns: readonly Column<T>[], format: OutputFormat): void {
  const out = ctx.io.stdout;
  const value = (row: T, column: Column<T>) => {
    const raw = (row as Record<string, unknown>)[column.key];
    return column.format ? column.format(raw, row) : cell(raw);
  };
  switch (format) {
    case 'json': {
      // One object per line, written in chunks: a 100,000-row array never becomes one 40 MB string.
      let chunk = '[';
      let first = true;
      for (const row of rows) {
        chunk += `${first ? '\n' : ',\n'}  ${JSON.stringify(row)}`;
        first = false;
        if (chunk.length > 65536) {
          out.write(chunk);
          chunk = '';
        }
      }
      out.write(`${chunk}${first ? '' : '\n'}]\n`);
      return;
    }
    case 'csv': {
      out.write(`${columns.map((c) => csvField(c.key)).join(',')}\r\n`);
      for (const row of rows) out.write(`${columns.map((c) => csvField((row as Record<string, unknown>)[c.key])).join(',')}\r\n`);
      return;
    }
    case 'tsv': {
      // Like `gh`: no header when piped; tabs and newlines inside values become spaces.
      let chunk = '';
      for (const row of rows) {
        chunk += `${columns.map((c) => cell((row as Record<string, unknown>)[c.key]).replace(/[\t\r\n]/g, ' ')).join('\t')}\n`;
        if (chunk.length > 65536) {
          out.write(chunk);
          chunk = '';
        }
      }
      if (chunk) out.write(chunk);
      return;
    }
    case 'table': {
      const shown = columns.filter((c) => c.terminal !== false);
      // Loaded only when a table is drawn.
      const Table = createRequire(import.meta.url)('cli-table3') as typeof TableType;
      const table = new Table({
        head: shown.map((c) => ctx.color.bold(c.header)),
        // Borderless, like `gh`: columns separated by two spaces.
        style: { head: [], border: [], 'padding-left': 0, 'padding-right': 2 },
        chars: {
          top: '', 'top-mid': '', 'top-left': '', 'top-right': '', bottom: '', 'bottom-mid': '', 'bottom-left': '',
          'bottom-right': '', left: '', 'left-mid': '', mid: '', 'mid-mid': '', right: '', 'right-mid': '', middle: '',
        },
      });
      for (const row of rows) table.push(shown.map((c) => safeForTerminal(value(row, c))));
      out.write(`${table.toString()}\n`);
      return;
    }
  }
}

/** `key: value` lines for one record (`show`). */
export function printRecord(ctx: PrintContext, fields: [string, unknown][]): void {
  const width = Math.max(...fields.map(([k]) => k.length));
  for (const [key, raw] of fields) {
    ctx.io.stdout.write(`${ctx.color.bold(key.padEnd(width))}  ${safeForTerminal(cell(raw))}\n`);
  }
}
