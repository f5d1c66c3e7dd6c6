import type { RowMapper, Sql } from './sql.js';

export type ImportPermission = 'read_only' | 'hide_passwords' | 'admin';

export interface ImportRecord {
  id: number;
  source: string;
  file: string;
  permissionsFile: string | null;
  status: 'succeeded' | 'failed';
  items: number;
  permissions: number;
  errors: { file: string; line: number; reason: string }[];
  createdBy: string;
  createdAt: string;
}

export interface NewImport {
  source: string;
  file: string;
  permissionsFile: string | null;
  status: 'succeeded' | 'failed';
  items: { line: number; name: string; url: string | null; folder: string }[];
  permissions: { line: number; folder: string; email: string; emailKey: string; permission: ImportPermission }[];
  errors: { file: string; line: number; reason: string }[];
  createdBy: string;
  createdAt: string;
}

const IMPORT = `id, source, file, permissions_file AS permissionsFile, status, items, permissions, errors,
  created_by AS createdBy, created_at AS createdAt`;

type ImportRow = Omit<ImportRecord, 'errors'> & { errors: string | null };

const decode: RowMapper<ImportRow, ImportRecord> = (row) => ({
  ...row,
  errors: row.errors ? (JSON.parse(row.errors) as ImportRecord['errors']) : [],
});

/** The Password Manager Importer's migrations: their items, permissions and errors. */
export class ImportRepository {
  constructor(private readonly sql: Sql) {}

  /** Records a migration. A failed one keeps its errors only: none of its rows become usable. */
  insert(record: NewImport): number {
    const id = Number(
      this.sql
        .stmt(
          `INSERT INTO imports (source, file, permissions_file, status, items, permissions, errors, created_by, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          record.source,
          record.file,
          record.permissionsFile,
          record.status,
          record.items.length,
          record.permissions.length,
          JSON.stringify(record.errors),
          record.createdBy,
          record.createdAt,
        ).lastInsertRowid,
    );
    if (record.status === 'succeeded') {
      const item = this.sql.stmt(`INSERT INTO import_items (import_id, line, name, url, folder) VALUES (?, ?, ?, ?, ?)`);
      for (const i of record.items) item.run(id, i.line, i.name, i.url, i.folder);
      const permission = this.sql.stmt(
        `INSERT INTO import_permissions (import_id, line, folder, email, email_key, permission) VALUES (?, ?, ?, ?, ?, ?)`,
      );
      for (const p of record.permissions) permission.run(id, p.line, p.folder, p.email, p.emailKey, p.permission);
    }
    return id;
  }

  get(id: number): ImportRecord | undefined {
    const row = this.sql.stmt(`SELECT ${IMPORT} FROM imports WHERE id = ?`).get(id) as ImportRow | undefined;
    return row ? decode(row) : undefined;
  }

  list(): ImportRecord[] {
    return (this.sql.stmt(`SELECT ${IMPORT} FROM imports ORDER BY id`).all() as ImportRow[]).map(decode);
  }

  items(importId: number): { id: number; name: string; url: string | null; folder: string; accountId: number | null }[] {
    return this.sql
      .stmt(`SELECT id, name, url, folder, account_id AS accountId FROM import_items WHERE import_id = ? ORDER BY line`)
      .all(importId) as { id: number; name: string; url: string | null; folder: string; accountId: number | null }[];
  }

  setItemAccount(itemId: number, accountId: number): void {
    this.sql.stmt(`UPDATE import_items SET account_id = ? WHERE id = ?`).run(accountId, itemId);
  }

  permissions(importId: number): { folder: string; email: string; emailKey: string; permission: ImportPermission }[] {
    return this.sql
      .stmt(`SELECT folder, email, email_key AS emailKey, permission FROM import_permissions WHERE import_id = ? ORDER BY line`)
      .all(importId) as { folder: string; email: string; emailKey: string; permission: ImportPermission }[];
  }
}
