import { createRequire } from 'node:module';
import type TableType from 'cli-table3';
import type { ChalkInstance } from 'chalk';
import type { IO } from '../deps.js';
import { relativeTime } from './time.js';

/** What printing needs: the streams, stdout's colours, whether --json was asked for, and the clock (relative times). */
export interface PrintContext {
  io: IO;
  color: ChalkInstance;
  json: boolean;
  now: () => Date;
}

export interface Column<T> {
  key: keyof T & string;
  header: string;
  /** Shown on a terminal table; all columns go to TSV/CSV/JSON. */
  terminal?: boolean;
  /** For the terminal table only: scripts get the raw value. */
  format?: (value: unknown, row: T) => string;
  /** An ISO time: relative on a terminal ("3 days ago"), as stored (ISO-8601) for scripts. */
  time?: true;
  /**
   * May be cut short with … so the table fits the terminal: 'first' columns are cut before
   * 'last' ones (names before the email that identifies a row), and the others only after both.
   */
  shrink?: 'first' | 'last';
}

/** Streamed output is written in pieces this big: few writes, and at most one piece waits in memory. */
const STREAM_CHUNK = 512 * 1024;

/** A terminal is assumed this wide when it does not say. */
const DEFAULT_COLUMNS = 80;
/** A column cut to fit keeps at least this many characters (or its header's). */
const MIN_SHRUNK = 6;
const GAP = 2;

/**
 * Widths that fit `width`: among the columns of the earliest rank that can still give, the
 * widest is cut, one character at a time, never below its floor (rank 0 first, then 1; no rank:
 * never cut). If even that does not fit, the table is as narrow as it can be.
 */
export function fitWidths(natural: number[], floors: number[], ranks: (number | undefined)[], width: number): number[] {
  const widths = [...natural];
  const total = () => widths.reduce((a, b) => a + b, 0) + GAP * (widths.length - 1);
  const order = [...new Set(ranks.filter((r): r is number => r !== undefined))].sort((a, b) => a - b);
  for (const rank of order) {
    while (total() > width) {
      let widest = -1;
      for (let i = 0; i < widths.length; i++) {
        if (ranks[i] === rank && widths[i]! > floors[i]! && (widest === -1 || widths[i]! > widths[widest]!)) widest = i;
      }
      if (widest === -1) break;
      widths[widest]!--;
    }
  }
  return widths;
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

/**
 * Prints the rows in `format` and returns how many there were. Streamed formats write in 512 KB
 * chunks; when stdout is a pipe that is full (write() said so), the rest waits for 'drain' and
 * the count comes as a promise: a million rows are never queued in memory.
 */
export function printRows<T extends object>(
  ctx: PrintContext,
  rows: Iterable<T> | AsyncIterable<readonly T[]>,
  columns: readonly Column<T>[],
  format: OutputFormat,
): number | Promise<number> {
  if (Symbol.asyncIterator in rows) {
    if (format === 'table') return collect(rows).then((all) => printTable(ctx, all, columns));
    return streamBatches(ctx, rows, columns, format);
  }
  if (format === 'table') return printTable(ctx, rows, columns);
  return streamRows(ctx, rows[Symbol.iterator](), columns, format);
}

/** A table is fitted to every row: they are all read first (a terminal shows what fits on it). */
async function collect<T>(batches: AsyncIterable<readonly T[]>): Promise<T[]> {
  const all: T[] = [];
  for await (const batch of batches) for (const row of batch) all.push(row);
  return all;
}

/**
 * `streamRows` for rows read in batches from the store: written as they come, waiting for a
 * full pipe to drain. Leaving the loop (a closed pipe) closes the query.
 */
async function streamBatches<T extends object>(ctx: PrintContext, batches: AsyncIterable<readonly T[]>, columns: readonly Column<T>[], format: 'json' | 'csv' | 'tsv'): Promise<number> {
  const out = ctx.io.stdout as NodeJS.WritableStream & { destroyed?: boolean };
  const f = formatter(columns, format);
  let count = 0;
  let chunk = f.head;
  for await (const batch of batches) {
    for (const row of batch) {
      chunk += f.row(row, count === 0);
      count++;
      if (chunk.length > STREAM_CHUNK) {
        const more = out.write(chunk);
        chunk = '';
        if (!more && !out.destroyed) await drained(out);
        if (out.destroyed) return count;
      }
    }
  }
  out.write(chunk + f.tail(count === 0));
  return count;
}

/** One chunk of the streamed formats for each row; the header first for CSV. */
function formatter<T extends object>(columns: readonly Column<T>[], format: 'json' | 'csv' | 'tsv') {
  const field = (row: T, c: Column<T>) => (row as Record<string, unknown>)[c.key];
  if (format === 'json') return { head: '[', row: (row: T, first: boolean) => `${first ? '\n' : ',\n'}  ${JSON.stringify(row)}`, tail: (empty: boolean) => `${empty ? '' : '\n'}]\n` };
  if (format === 'csv') {
    return { head: `${columns.map((c) => csvField(c.key)).join(',')}\r\n`, row: (row: T) => `${columns.map((c) => csvField(field(row, c))).join(',')}\r\n`, tail: () => '' };
  }
  // Like `gh`: no header when piped; tabs and newlines inside values become spaces.
  return { head: '', row: (row: T) => `${columns.map((c) => cell(field(row, c)).replace(/[\t\r\n]/g, ' ')).join('\t')}\n`, tail: () => '' };
}

function streamRows<T extends object>(ctx: PrintContext, rows: Iterator<T>, columns: readonly Column<T>[], format: 'json' | 'csv' | 'tsv'): number | Promise<number> {
  const out = ctx.io.stdout;
  const f = formatter(columns, format);
  let count = 0;
  let chunk = f.head;
  // Synchronous while the stream takes the chunks (a file, /dev/null, a fast reader).
  const pump = (): number | Promise<number> => {
    for (let next = rows.next(); !next.done; next = rows.next()) {
      chunk += f.row(next.value, count === 0);
      count++;
      if (chunk.length > STREAM_CHUNK) {
        const more = out.write(chunk);
        chunk = '';
        if (!more && !out.destroyed) return drained(out).then(pump);
      }
    }
    out.write(chunk + f.tail(count === 0));
    return count;
  };
  return pump();
}

/** Resolves once `out` drains, closes or fails (a failure is reported by cli.ts). */
function drained(out: NodeJS.WritableStream & { destroyed?: boolean }): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      out.removeListener('drain', done);
      out.removeListener('close', done);
      out.removeListener('error', done);
      resolve();
    };
    out.once('drain', done);
    out.once('close', done);
    out.once('error', done);
  });
}

function printTable<T extends object>(ctx: PrintContext, rows: Iterable<T>, columns: readonly Column<T>[]): number {
  const out = ctx.io.stdout;
  const now = ctx.now();
  const value = (row: T, column: Column<T>) => {
    const raw = (row as Record<string, unknown>)[column.key];
    if (column.format) return column.format(raw, row);
    if (column.time && typeof raw === 'string') return relativeTime(raw, now);
    return cell(raw);
  };
  const shown = columns.filter((c) => c.terminal !== false);
  const cells = [...rows].map((row) => shown.map((c) => safeForTerminal(value(row, c))));
  if (cells.length === 0) return 0;
  // Fitted to the terminal like `gh`: long columns are cut with …, a line never wraps.
  const length = (text: string) => [...text].length;
  const natural = shown.map((c, i) => Math.max(length(c.header), ...cells.map((r) => length(r[i]!))));
  const floors = shown.map((c, i) => Math.min(natural[i]!, Math.max(length(c.header), MIN_SHRUNK)));
  // Then, on a very narrow terminal, every other column too: a cut value beats a wrapped line.
  const ranks = shown.map((c) => (c.shrink === 'first' ? 0 : c.shrink === 'last' ? 1 : 2));
  const widths = fitWidths(natural, floors, ranks, ctx.io.columns ?? DEFAULT_COLUMNS);
  // Loaded only when a table is drawn.
  const Table = createRequire(import.meta.url)('cli-table3') as typeof TableType;
  const table = new Table({
    head: shown.map((c) => ctx.color.bold(c.header)),
    // Each width holds its padding: borderless, columns separated by two spaces.
    colWidths: widths.map((w) => w + GAP),
    wordWrap: false,
    truncate: '…',
    style: { head: [], border: [], 'padding-left': 0, 'padding-right': GAP },
    chars: {
      top: '', 'top-mid': '', 'top-left': '', 'top-right': '', bottom: '', 'bottom-mid': '', 'bottom-left': '',
      'bottom-right': '', left: '', 'left-mid': '', mid: '', 'mid-mid': '', right: '', 'right-mid': '', middle: '',
    },
  });
  for (const row of cells) table.push(row);
  // The last column's padding would push a full-width line onto a second one.
  out.write(`${table.toString().split('\n').map((line) => line.trimEnd()).join('\n')}\n`);
  return cells.length;
}

/** `key: value` lines for one record (`show`). */
export function printRecord(ctx: PrintContext, fields: [string, unknown][]): void {
  const width = Math.max(...fields.map(([k]) => k.length));
  for (const [key, raw] of fields) {
    ctx.io.stdout.write(`${ctx.color.bold(key.padEnd(width))}  ${safeForTerminal(cell(raw))}\n`);
  }
}
