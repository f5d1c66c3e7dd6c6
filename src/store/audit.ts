import type { RowMapper, Sql } from './sql.js';
import type { AuditEntry } from './types.js';

type AuditRow = Omit<AuditEntry, 'detail'> & { detail: string | null };

const auditEntry: RowMapper<AuditRow, AuditEntry> = (row) => ({
  ...row,
  detail: row.detail ? (JSON.parse(row.detail) as Record<string, unknown>) : null,
});

/** The audit trail: who did what to whom, written in the transaction of the change itself. */
export class AuditRepository {
  constructor(private readonly sql: Sql) {}

  record(entry: AuditEntry): void {
    this.sql.stmt(`INSERT INTO audit (at, actor, action, target, detail) VALUES (?, ?, ?, ?, ?)`).run(
      entry.at,
      entry.actor,
      entry.action,
      entry.target,
      entry.detail ? JSON.stringify(entry.detail) : null,
    );
  }

  forTarget(target: string): AuditEntry[] {
    return (this.sql.stmt(`SELECT at, actor, action, target, detail FROM audit WHERE target = ? ORDER BY id`).all(target) as AuditRow[]).map(auditEntry);
  }
}
