import fs from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { parse } from 'csv-parse';
import { UsageError } from '../errors.js';

export interface CsvRecord {
  /** 1-based line where the record starts, for messages. */
  line: number;
  record: string[];
  /** Bytes of the file read so far (ahead of the parser by one chunk): progress. */
  bytesRead: number;
}

export interface CsvRecordOptions {
  delimiter: ',' | ';';
  /** Keep a stray quote inside an unquoted field (O"Brien) as text, as spreadsheets do. */
  relaxQuotes: boolean;
  /** How messages name the file, e.g. "the CSV file" or its path. */
  label: string;
  /** The longest record allowed, in characters (default MAX_RECORD_CHARS). */
  maxRecordChars?: number;
}

/** Decodes UTF-8 strictly: a file in another encoding is refused, not silently garbled. */
function strictUtf8(label: string) {
  return async function* (source: AsyncIterable<Buffer>): AsyncGenerator<string> {
    const decoder = new TextDecoder('utf-8', { fatal: true });
    try {
      for await (const chunk of source) {
        if (chunk.includes(0)) throw Object.assign(new Error('NUL byte'), { code: 'ERR_BINARY' });
        yield decoder.decode(chunk, { stream: true });
      }
      const rest = decoder.decode();
      if (rest) yield rest;
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code === 'ERR_BINARY') throw new UsageError(`${label} contains NUL bytes: it looks like a binary file, not CSV`);
      if (error instanceof TypeError || code === 'ERR_ENCODING_INVALID_ENCODED_DATA') {
        throw new UsageError(`${label} is not UTF-8 text: save it as "CSV UTF-8" and try again`);
      }
      throw error;
    }
  };
}

/**
 * The longest record (all its fields, in characters) a file may hold: a row is an address,
 * names and a message of at most 2,000 characters. A longer one is a broken or hostile file,
 * refused as soon as the parser has buffered this much (a 50 MB line: milliseconds, not GBs).
 */
export const MAX_RECORD_CHARS = 64 * 1024;

/** csv-parse's error, as one line a user can act on. */
function csvError(error: unknown, label: string, maxRecordChars: number): UsageError {
  const e = error as { code?: string; message?: string; lines?: number };
  if (e.code === 'CSV_QUOTE_NOT_CLOSED') return new UsageError(`${label} has an unclosed quote (from line ${e.lines ?? '?'} to the end)`);
  if (e.code === 'CSV_MAX_RECORD_SIZE') {
    return new UsageError(`${label} has a record longer than ${maxRecordChars.toLocaleString('en-US')} characters at line ${e.lines ?? '?'}: a broken or hostile file`);
  }
  return new UsageError(`${label} cannot be read as CSV: ${(e.message ?? String(error)).split('\n')[0]}`);
}

function countNewlines(text: string): number {
  let n = 0;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

/**
 * Streams the records of a CSV file in batches (whatever the parser has ready), never the whole
 * file in memory, each with the line it starts on; blank lines are skipped. BOM, CRLF or LF,
 * RFC 4180 quoting, strict UTF-8. `map` turns a record into what the caller gets (undefined:
 * skip it) and `end` runs after the last one. Records are read synchronously while the parser
 * has them: one await per batch, not per record (a bulk run reads a million).
 */
export async function* csvRecordBatches<T>(
  file: string,
  options: CsvRecordOptions,
  map: (record: CsvRecord) => T | undefined,
  end?: () => void,
): AsyncGenerator<T[]> {
  const parser = parse({
    bom: true,
    delimiter: options.delimiter,
    // raw (not info) is enough to count lines, and costs a third as much.
    raw: true,
    relax_column_count: true,
    relax_quotes: options.relaxQuotes,
    max_record_size: options.maxRecordChars ?? MAX_RECORD_CHARS,
  });
  const input = fs.createReadStream(file, { highWaterMark: 256 * 1024 });
  const feeding = pipeline(input, strictUtf8(options.label), parser).catch((error: unknown) => {
    parser.destroy(error instanceof Error ? error : new Error(String(error)));
  });
  // Woken by the parser: more records, the end, or an error. `signalled` keeps a wake-up that
  // came while the consumer held a batch.
  let signalled = false;
  let ended = false;
  let failure: Error | undefined;
  let wake: (() => void) | undefined;
  const notify = () => {
    signalled = true;
    const resolve = wake;
    wake = undefined;
    resolve?.();
  };
  parser.on('readable', notify);
  parser.on('end', () => {
    ended = true;
    notify();
  });
  parser.on('error', (error: Error) => {
    failure ??= error;
    notify();
  });
  let line = 1;
  try {
    for (;;) {
      const batch: T[] = [];
      for (let item = parser.read() as { record: string[]; raw: string } | null; item !== null; item = parser.read() as typeof item) {
        const start = line;
        // raw may end with (part of) its record delimiter: count only the newlines inside the record.
        const raw = item.raw;
        line += countNewlines(raw) - (raw.endsWith('\n') ? 1 : 0) + 1;
        if (item.record.length === 1 && item.record[0]!.trim() === '') continue; // blank line
        const value = map({ line: start, record: item.record, bytesRead: input.bytesRead });
        if (value !== undefined) batch.push(value);
      }
      if (batch.length > 0) yield batch;
      if (failure !== undefined) throw failure;
      if (ended) break;
      if (!signalled) await new Promise<void>((resolve) => (wake = resolve));
      signalled = false;
    }
  } catch (error) {
    throw error instanceof UsageError ? error : csvError(error, options.label, options.maxRecordChars ?? MAX_RECORD_CHARS);
  } finally {
    // Left early (the run stopped, a bad row): the parser too, or the pipeline would wait
    // forever for someone to read the records it still holds once the whole file is read.
    input.destroy();
    parser.destroy();
    await feeding;
  }
  end?.();
}

/** The same, one record at a time (the importer's files are small). */
export async function* csvRecords<T>(
  file: string,
  options: CsvRecordOptions,
  map: (record: CsvRecord) => T | undefined,
  end?: () => void,
): AsyncGenerator<T> {
  for await (const batch of csvRecordBatches(file, options, map, end)) yield* batch;
}
