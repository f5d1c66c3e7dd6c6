import path from 'node:path';
import { UsageError } from '../../errors.js';
import type { Factory } from '../../factory.js';
import { guestCandidates, parseImportId } from '../../importer/importer.js';
import { authorize } from '../../permissions.js';
import { ok, type Result } from '../../result.js';
import { openSession } from '../../session.js';
import type { ImportRecord } from '../../store/imports.js';
import { iso } from '../../time.js';
import type { RowError } from './lastpass.js';

export interface ImportReport extends Omit<ImportRecord, 'errors'> {
  errors: RowError[];
  /** External users found in the permissions: the guests `invite --from-import` would invite. */
  guestCandidates: string[];
}

/**
 * Records a migration: `succeeded` only if every item and every user access permission was
 * imported; otherwise `failed`, with each bad row's file, line and reason, and nothing usable.
 */
export async function runImportLastPass(opts: { file: string; permissions?: string }, f: Factory): Promise<Result<ImportReport>> {
  const { file, permissions: permissionsFile } = opts;
  const { store, actor } = await openSession(f);
  authorize(actor, { action: 'import' });
  const { readLastPassExport, readPermissions } = await import('./lastpass.js'); // csv-parse only here
  const { items, errors } = await readLastPassExport(file);
  const folders = new Set(items.map((i) => i.folder));
  const permissionRead = permissionsFile ? await readPermissions(permissionsFile, folders) : { permissions: [], errors: [] };
  errors.push(...permissionRead.errors);
  if (!permissionsFile) errors.push({ file: '(none)', line: 0, reason: 'no user access permissions: give them with --permissions FILE' });
  if (items.length === 0 && errors.length === 0) errors.push({ file, line: 0, reason: 'the export has no items' });
  const status = errors.length === 0 ? 'succeeded' : 'failed';
  const at = iso(f.now());
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
  const id = await store.write(async (tx) => {
    const id = await tx.imports.insert(record);
    await tx.audit.record({ at, actor: actor.email, action: 'import', target: `import:${id}`, detail: { status, items: items.length, permissions: permissionRead.permissions.length, errors: errors.length } });
    return id;
  });
  // A failed migration is bad input: nothing of it is usable.
  return {
    status: status === 'succeeded' ? 'ok' : 'usage',
    data: {
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
    guestCandidates: status === 'succeeded' ? guestCandidates(await store.workspace.domains(), permissionRead.permissions) : [],
    },
  };
}

export async function runImportShow(opts: { id: string }, f: Factory): Promise<Result<ImportReport>> {
  const { store, actor } = await openSession(f);
  authorize(actor, { action: 'import' });
  const record = await store.imports.get(parseImportId(opts.id));
  if (!record) throw new UsageError(`no import #${opts.id}: see \`cerby-guests import list\``);
  return ok({
    ...record,
    guestCandidates: record.status === 'succeeded' ? guestCandidates(await store.workspace.domains(), await store.imports.permissions(record.id)) : [],
  });
}

export async function runImportList(_opts: object, f: Factory): Promise<Result<ImportRecord[]>> {
  const { store, actor } = await openSession(f);
  authorize(actor, { action: 'import' });
  return ok(await store.imports.list());
}
