import type { Factory } from '../factory.js';
import type { Result } from '../result.js';
import { writeJson } from './json.js';
import { printRecord, printRows, type Column, type OutputFormat } from './print.js';
import type { Reporter } from './reporter.js';
import { relativeTime } from './time.js';

/** Stdout for data: rows (a table fitted to the terminal, TSV when piped, CSV), one record, JSON. */
export class Output {
  constructor(private readonly f: Factory) {}

  /** `empty`: what to do next when there is nothing to show, said on stderr to a person at a terminal (scripts get no rows). */
  rows<T extends object>(rows: Iterable<T> | AsyncIterable<readonly T[]>, columns: readonly Column<T>[], options: { csv?: boolean; empty?: string } = {}): void {
    const format = this.format(options.csv === true);
    const printed = printRows(this.f, rows, columns, format);
    const done = (count: number) => {
      if (count === 0 && options.empty !== undefined && format === 'table') this.f.reporter.info(options.empty);
    };
    // A pipe that reads slower than rows come: the rest is written as it drains.
    if (typeof printed === 'number') done(printed);
    else this.f.outputDone = printed.then(done);
  }

  /** A time as this output shows times: relative on a terminal ("3 days ago"), ISO-8601 for scripts. */
  time(iso: string | null | undefined): string {
    if (!iso) return '';
    return this.f.io.stdoutIsTTY && !this.f.json ? relativeTime(iso, this.f.now()) : iso;
  }

  record(fields: [string, unknown][]): void {
    printRecord(this.f, fields);
  }

  /** A check's result on stdout, for CI logs (doctor, smoke): ✓ passed, ✗ failed. */
  check(passed: boolean, text: string): void {
    this.line(`${passed ? this.f.color.green('✓') : this.f.color.red('✗')} ${text}`);
  }

  /** Plain lines on stdout (e.g. a record's sub-lists). */
  line(text: string): void {
    this.f.io.stdout.write(`${text}\n`);
  }

  json(value: unknown): void {
    writeJson(this.f.io.stdout, this.f.io.stdoutIsTTY, value);
  }

  format(csv = false): OutputFormat {
    if (this.f.json) return 'json';
    if (csv) return 'csv';
    return this.f.io.stdoutIsTTY ? 'table' : 'tsv';
  }
}

/** How one command's result is shown. The command's logic returns data; this is all it prints. */
export interface View<T> {
  /** Lines for a person on stderr (with --json too): ✓ done, ! warnings, ✗ failures. */
  report?(data: T, reporter: Reporter): void;
  /** Stdout without --json: rows, a record. */
  print?(data: T, out: Output): void;
  /** What --json prints; the data itself when absent. */
  json?(data: T): unknown;
  /** `print` writes the --json form itself, streaming rows (`list` of 100,000 guests). */
  printsJson?: true;
}

/** Shows a result through its view and leaves its status for `cli.ts`. */
export async function present<T>(f: Factory, pending: Result<T> | Promise<Result<T>>, view: View<T>): Promise<void> {
  const result = await pending;
  const out = new Output(f);
  if (f.json && !view.printsJson) out.json(view.json ? view.json(result.data) : result.data);
  else view.print?.(result.data, out);
  view.report?.(result.data, f.reporter);
  f.status = result.status;
}
