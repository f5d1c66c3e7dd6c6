import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { csvRecordBatches, type CsvRecord } from '../../csv/records.js';
import { UsageError } from '../../errors.js';

/** The fields a row may carry, whatever the file's header calls them. */
export type CsvField = 'email' | 'name' | 'familyName' | 'partner' | 'role' | 'message' | 'redirectUrl' | 'sendEmail';

export interface CsvLayout {
  form: 'plain' | 'entra';
  delimiter: ',' | ';';
  /** Column index of each known field. */
  columns: Partial<Record<CsvField, number>>;
  /** Header names we do not use (warned about once). */
  ignored: string[];
  /** Records before the first data row (the header, and Entra's version line). */
  headerRecords: number;
}

export interface CsvRow {
  /** 1-based line where the record starts, for messages. */
  line: number;
  fields: Partial<Record<CsvField, string>>;
  /** Bytes of the file read so far (ahead of the parser by one chunk): progress for a file of known size. */
  bytes: number;
}

const PLAIN_HEADERS: Record<string, CsvField> = {
  email: 'email',
  'e-mail': 'email',
  'email address': 'email',
  name: 'name',
  'first name': 'name',
  family_name: 'familyName',
  'family name': 'familyName',
  familyname: 'familyName',
  'last name': 'familyName',
  partner: 'partner',
  role: 'role',
  message: 'message',
};

/** Microsoft Entra's bulk-invite template names each column `Label [property] Required`. */
const ENTRA_PROPERTIES: Record<string, CsvField> = {
  inviteeemail: 'email',
  inviteredirecturl: 'redirectUrl',
  sendemail: 'sendEmail',
  customizedmessagebody: 'message',
};

const PEEK_BYTES = 64 * 1024;

function stripBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** Reads the first lines to learn the form (plain or Entra) and the delimiter (comma or semicolon). */
export function sniffLayout(file: string): { form: 'plain' | 'entra'; delimiter: ',' | ';' } {
  const fd = fs.openSync(file, 'r');
  let head: string;
  try {
    const buf = Buffer.alloc(PEEK_BYTES);
    const n = fs.readSync(fd, buf, 0, PEEK_BYTES, 0);
    head = stripBom(buf.subarray(0, n).toString('utf8'));
  } finally {
    fs.closeSync(fd);
  }
  const lines = head.split(/\r?\n/).filter((l) => l.trim() !== '');
  if (lines.length === 0) throw new UsageError('the CSV file is empty: it needs a header with an email column');
  const entra = /^version\s*:\s*v?\d/i.test(lines[0]!.trim().replace(/^"|"$/g, ''));
  const header = (entra ? lines[1] : lines[0]) ?? '';
  const count = (c: string) => header.split(c).length - 1;
  return { form: entra ? 'entra' : 'plain', delimiter: count(';') > count(',') ? ';' : ',' };
}

export function mapHeader(form: 'plain' | 'entra', delimiter: ',' | ';', header: string[]): CsvLayout {
  const columns: Partial<Record<CsvField, number>> = {};
  const ignored: string[] = [];
  header.forEach((raw, index) => {
    const name = raw.trim();
    let field: CsvField | undefined;
    if (form === 'entra') {
      const property = name.match(/\[([^\]]+)\]/)?.[1]?.toLowerCase();
      field = property ? ENTRA_PROPERTIES[property] : undefined;
    } else {
      field = PLAIN_HEADERS[name.toLowerCase()];
    }
    if (field && columns[field] === undefined) columns[field] = index;
    else if (name) ignored.push(name);
  });
  if (columns.email === undefined) {
    throw new UsageError(
      form === 'entra'
        ? 'the CSV header has no "Email address to invite [inviteeEmail]" column'
        : `the CSV header has no email column (found: ${header.map((h) => JSON.stringify(h.trim())).join(', ').slice(0, 200) || 'nothing'})`,
    );
  }
  return { form, delimiter, columns, ignored, headerRecords: form === 'entra' ? 2 : 1 };
}

/**
 * Streams the rows of a CSV file in batches (what the parser has ready), never the whole file
 * in memory. `onHeader` sees the layout before the first row.
 */
export function readCsvRows(file: string, onHeader?: (layout: CsvLayout) => void): AsyncGenerator<CsvRow[]> {
  const { form, delimiter } = sniffLayout(file);
  let records = 0;
  let layout: CsvLayout | undefined;
  let columns: [CsvField, number][] = [];
  const toRow = ({ line, record, bytesRead }: CsvRecord): CsvRow | undefined => {
    records++;
    if (form === 'entra' && records === 1) return undefined; // version:v1.0
    if (!layout) {
      layout = mapHeader(form, delimiter, record);
      columns = Object.entries(layout.columns) as [CsvField, number][];
      onHeader?.(layout);
      return undefined;
    }
    const fields: Partial<Record<CsvField, string>> = {};
    for (const [field, index] of columns) {
      const value = record[index];
      if (value !== undefined) fields[field] = value;
    }
    return { line, fields, bytes: bytesRead };
  };
  return csvRecordBatches(file, { delimiter, relaxQuotes: true, label: 'the CSV file' }, toRow, () => {
    if (!layout) throw new UsageError('the CSV file has no header: it needs a header with an email column');
  });
}

/**
 * A pass over the whole file that stores nothing: the encoding, the quoting and the header
 * are checked before the first invite is recorded, so a broken file changes nothing.
 * Returns the number of data rows.
 */
export async function checkCsvFile(file: string): Promise<number> {
  let rows = 0;
  for await (const batch of readCsvRows(file)) rows += batch.length;
  return rows;
}

/** Standard input, copied to a private temp file so it can be checked, then read. */
export async function spoolToFile(stdin: Readable, folder: string): Promise<string> {
  const file = path.join(folder, `.cerby-guests-stdin-${randomBytes(6).toString('hex')}.csv`);
  await pipeline(stdin, fs.createWriteStream(file, { mode: 0o600, flags: 'wx' }));
  return file;
}
