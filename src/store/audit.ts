import { jsonRows, type Db } from './db.js';
import type { AuditEntry } from './types.js';

type AuditRow = Omit<AuditEntry, 'detail'> & { detail: string | null };

/** The audit trail: who did what to whom, written in the transaction of the change itself. */
export class AuditRepository {
  constructor(private readonly db: Db) {}

  async record(entry: AuditEntry): Promise<void> {
    await this.db.run(`INSERT INTO audit (at, actor, action, target, detail) VALUES (@at, @actor, @action, @target, @detail)`, {
      ...entry,
      detail: entry.detail ? JSON.stringify(entry.detail) : null,
    });
  }

  /** Many entries in one statement (a batch of invites). */
  async recordMany(entries: readonly AuditEntry[]): Promise<void> {
    if (entries.length === 0) return;
    const source = jsonRows(this.db.dialect, 'rows', [
      ['at', 'timestamptz'],
      ['actor', 'text'],
      ['action', 'text'],
      ['target', 'text'],
      ['detail', 'text'],
    ]);
    await this.db.run(`INSERT INTO audit (at, actor, action, target, detail) SELECT ${source.select} FROM ${source.from}`, {
      rows: JSON.stringify(entries.map((e) => ({ ...e, detail: e.detail ? JSON.stringify(e.detail) : null }))),
    });
  }

  async forTarget(target: string): Promise<AuditEntry[]> {
    const rows = await this.db.all<AuditRow>(`SELECT at, actor, action, target, detail FROM audit WHERE target = @target ORDER BY id`, { target });
    return rows.map((row) => ({ ...row, detail: row.detail ? (JSON.parse(row.detail) as Record<string, unknown>) : null }));
  }
}
