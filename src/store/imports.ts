import type { Db } from './db.js';

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

const IMPORT = `id, source, file, permissions_file AS "permissionsFile", status, items, permissions, errors,
  created_by AS "createdBy", created_at AS "createdAt"`;

type ImportRow = Omit<ImportRecord, 'errors'> & { errors: string | null };

const decode = (row: ImportRow): ImportRecord => ({
  ...row,
  errors: row.errors ? (JSON.parse(row.errors) as ImportRecord['errors']) : [],
});

/** The Password Manager Importer's migrations: their items, permissions and errors. */
export class ImportRepository {
  constructor(private readonly db: Db) {}

  /** Records a migration. A failed one keeps its errors only: none of its rows become usable. Run it in a write transaction. */
  async insert(record: NewImport): Promise<number> {
    const { id } = (await this.db.get<{ id: number }>(
      `INSERT INTO imports (source, file, permissions_file, status, items, permissions, errors, created_by, created_at)
       VALUES (@source, @file, @permissionsFile, @status, @items, @permissions, @errors, @createdBy, @createdAt) RETURNING id`,
      { ...record, items: record.items.length, permissions: record.permissions.length, errors: JSON.stringify(record.errors) },
    ))!;
    if (record.status === 'succeeded') {
      for (const i of record.items) {
        await this.db.run(`INSERT INTO import_items (import_id, line, name, url, folder) VALUES (@id, @line, @name, @url, @folder)`, { id, ...i });
      }
      for (const p of record.permissions) {
        await this.db.run(
          `INSERT INTO import_permissions (import_id, line, folder, email, email_key, permission) VALUES (@id, @line, @folder, @email, @emailKey, @permission)`,
          { id, ...p },
        );
      }
    }
    return id;
  }

  async get(id: number): Promise<ImportRecord | undefined> {
    const row = await this.db.get<ImportRow>(`SELECT ${IMPORT} FROM imports WHERE id = @id`, { id });
    return row ? decode(row) : undefined;
  }

  async list(): Promise<ImportRecord[]> {
    return (await this.db.all<ImportRow>(`SELECT ${IMPORT} FROM imports ORDER BY id`)).map(decode);
  }

  items(importId: number): Promise<{ id: number; name: string; url: string | null; folder: string; accountId: number | null }[]> {
    return this.db.all(`SELECT id, name, url, folder, account_id AS "accountId" FROM import_items WHERE import_id = @importId ORDER BY line`, { importId });
  }

  async setItemAccount(itemId: number, accountId: number): Promise<void> {
    await this.db.run(`UPDATE import_items SET account_id = @accountId WHERE id = @itemId`, { accountId, itemId });
  }

  permissions(importId: number): Promise<{ folder: string; email: string; emailKey: string; permission: ImportPermission }[]> {
    return this.db.all(
      `SELECT folder, email, email_key AS "emailKey", permission FROM import_permissions WHERE import_id = @importId ORDER BY line`,
      { importId },
    );
  }
}
