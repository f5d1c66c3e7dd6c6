import { csvRecords, type CsvRecord } from '../../csv/records.js';
import { inputKind } from '../../cli/input-file.js';
import { UsageError } from '../../errors.js';
import type { ImportPermission } from '../../store/imports.js';
import { emailInput, emailKey, emailProblem, nameProblem } from '../../validate.js';

export interface RowError {
  file: string;
  line: number;
  reason: string;
}

export interface LastPassItem {
  line: number;
  name: string;
  url: string | null;
  folder: string;
}

export interface PermissionRow {
  line: number;
  folder: string;
  email: string;
  emailKey: string;
  permission: ImportPermission;
}

const PERMISSIONS: readonly ImportPermission[] = ['read_only', 'hide_passwords', 'admin'];

/** Streams a CSV file as header-keyed records with the line each starts on; strict UTF-8. */
function records(file: string): AsyncGenerator<{ line: number; fields: Record<string, string> }> {
  // A pipe is fine: each file is read once, as a stream.
  inputKind(file, 'the file');
  let header: string[] | undefined;
  const toFields = ({ line, record }: CsvRecord) => {
    if (!header) {
      header = record.map((h) => h.trim().toLowerCase());
      return undefined;
    }
    const fields: Record<string, string> = {};
    header.forEach((name, i) => {
      fields[name] = record[i] ?? '';
    });
    return { line, fields };
  };
  // Secure notes (the extra column) can be long: a megabyte per record, still bounded.
  return csvRecords(file, { delimiter: ',', relaxQuotes: false, label: file, maxRecordChars: 1024 * 1024 }, toFields, () => {
    if (!header) throw new UsageError(`${file} is empty: it needs a header line`);
  });
}

function requireColumns(file: string, fields: Record<string, string>, columns: string[]): void {
  const missing = columns.filter((c) => !(c in fields));
  if (missing.length) throw new UsageError(`${file} has no ${missing.join(', ')} column(s): expected the LastPass export header`);
}

/**
 * A LastPass export: url,username,password,totp,extra,name,grouping,fav. Only name, url and
 * grouping (the folder) are kept; password, totp and extra are read past and dropped here.
 */
export async function readLastPassExport(file: string): Promise<{ items: LastPassItem[]; errors: RowError[] }> {
  const items: LastPassItem[] = [];
  const errors: RowError[] = [];
  let checked = false;
  for await (const { line, fields } of records(file)) {
    if (!checked) {
      requireColumns(file, fields, ['url', 'name', 'grouping']);
      checked = true;
    }
    const name = (fields.name ?? '').trim();
    const folder = (fields.grouping ?? '').trim();
    const urlText = (fields.url ?? '').trim();
    if (!name && !urlText) {
      errors.push({ file, line, reason: 'no name and no url' });
      continue;
    }
    const problem = nameProblem(name, 'name') ?? nameProblem(folder, 'grouping');
    if (problem) {
      errors.push({ file, line, reason: problem });
      continue;
    }
    let url: string | null = null;
    if (urlText && urlText !== 'http://sn') {
      try {
        const parsed = new URL(urlText);
        // A URL carrying credentials is kept without them: this tool stores no secrets.
        parsed.username = '';
        parsed.password = '';
        url = parsed.toString();
      } catch {
        errors.push({ file, line, reason: `invalid url ${JSON.stringify(urlText.slice(0, 80))}` });
        continue;
      }
    }
    items.push({ line, name: name || url!, url, folder });
  }
  return { items, errors };
}

/** The permissions file: folder,email,permission with read_only | hide_passwords | admin. */
export async function readPermissions(file: string, folders: Set<string>): Promise<{ permissions: PermissionRow[]; errors: RowError[] }> {
  const permissions: PermissionRow[] = [];
  const errors: RowError[] = [];
  let checked = false;
  for await (const { line, fields } of records(file)) {
    if (!checked) {
      requireColumns(file, fields, ['folder', 'email', 'permission']);
      checked = true;
    }
    const folder = (fields.folder ?? '').trim();
    const email = emailInput(fields.email ?? '');
    const permission = (fields.permission ?? '').trim().toLowerCase();
    const emailIssue = email ? emailProblem(email) : 'no email address';
    if (emailIssue) errors.push({ file, line, reason: email ? `invalid email address: ${emailIssue}` : emailIssue });
    else if (!(PERMISSIONS as readonly string[]).includes(permission)) {
      errors.push({ file, line, reason: `unknown permission ${JSON.stringify(permission.slice(0, 40))}: use read_only, hide_passwords or admin` });
    } else if (!folders.has(folder)) errors.push({ file, line, reason: `no item in the export is in the folder ${JSON.stringify(folder.slice(0, 80))}` });
    else permissions.push({ line, folder, email, emailKey: emailKey(email), permission: permission as ImportPermission });
  }
  return { permissions, errors };
}
