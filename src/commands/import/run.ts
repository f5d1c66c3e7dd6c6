import path from 'node:path';
import type { App } from '../../app.js';
import { UsageError } from '../../errors.js';
import { authorize } from '../../permissions.js';
import type { ImportRecord } from '../../store/imports.js';
import { iso } from '../../time.js';
import type { RowError } from './lastpass.js';

export interface ImportReport extends Omit<ImportRecord, 'errors'> {
  errors: RowError[];
  /** External users found in the permissions: the guests `invite --from-import` would invite. */
  guestCandidates: string[];
}

/** Addresses outside the workspace's domains. */
export function guestCandidates(domains: string[], emails: { email: string; emailKey: string }[]): string[] {
  const own = new Set(domains);
  const seen = new Map<string, string>();
  for (const { email, emailKey } of emails) {
    const domain = emailKey.slice(emailKey.lastIndexOf('@') + 1);
    if (!own.has(domain) && !seen.has(emailKey)) seen.set(emailKey, email);
  }
  return [...seen.values()];
}

/**
 * Records a migration: `succeeded` only if every item and every user access permission was
 * imported; otherwise `failed`, with each bad row's file, line and reason, and nothing usable.
 */
export async function runImportLastPass(file: string, permissionsFile: string | undefined, app: App): Promise<ImportReport> {
  const store = app.store();
  app.workspace();
  const actor = app.actor();
  authorize(actor, { action: 'import' });
  const { readLastPassExport, readPermissions } = await import('./lastpass.js'); // csv-parse only here
  const { items, errors } = await readLastPassExport(file);
  const folders = new Set(items.map((i) => i.folder));
  const permissionRead = permissionsFile ? await readPermissions(permissionsFile, folders) : { permissions: [], errors: [] };
  errors.push(...permissionRead.errors);
  if (!permissionsFile) errors.push({ file: '(none)', line: 0, reason: 'no user access permissions: give them with --permissions FILE' });
  if (items.length === 0 && errors.length === 0) errors.push({ file, line: 0, reason: 'the export has no items' });
  const status = errors.length === 0 ? 'succeeded' : 'failed';
  const at = iso(app.now());
  const record = {
    source: 'lastpass',
    file: path.basename(file),
    permissionsFile: permissionsFile ? path.basename(permissionsFile) : null,
    status,
    items,
    permissions: permissionRead.permissions,
    errors,
    createdBy: actor.email,
    createdAt: at,
  } as const;
  const id = store.write(() => {
    const id = store.imports.insert(record);
    store.audit.record({ at, actor: actor.email, action: 'import', target: `import:${id}`, detail: { status, items: items.length, permissions: permissionRead.permissions.length, errors: errors.length } });
    return id;
  });
  return {
    id,
    source: 'lastpass',
    file: record.file,
    permissionsFile: record.permissionsFile,
    status,
    items: items.length,
    permissions: permissionRead.permissions.length,
    errors,
    createdBy: actor.email,
    createdAt: at,
    guestCandidates: status === 'succeeded' ? guestCandidates(store.workspace.domains(), permissionRead.permissions) : [],
  };
}

export function parseImportId(text: string): number {
  const id = Number(text);
  if (!Number.isInteger(id) || id < 1) throw new UsageError(`invalid import id ${JSON.stringify(text.slice(0, 20))}: a whole number, see \`cerby-guests import list\``);
  return id;
}

export function runImportShow(idText: string, app: App): ImportReport {
  const store = app.store();
  app.workspace();
  authorize(app.actor(), { action: 'import' });
  const record = store.imports.get(parseImportId(idText));
  if (!record) throw new UsageError(`no import #${idText}: see \`cerby-guests import list\``);
  return {
    ...record,
    guestCandidates: record.status === 'succeeded' ? guestCandidates(store.workspace.domains(), store.imports.permissions(record.id)) : [],
  };
}

export function runImportList(app: App): ImportRecord[] {
  const store = app.store();
  app.workspace();
  authorize(app.actor(), { action: 'import' });
  return store.imports.list();
}
