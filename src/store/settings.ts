import type { Sql } from './sql.js';

export interface SavedSetting {
  key: string;
  value: string;
  updatedBy: string;
  updatedAt: string;
}

/** Saved delivery settings (`config set`): one row per key. Never a secret: those stay in files. */
export class SettingRepository {
  constructor(private readonly sql: Sql) {}

  get(key: string): string | undefined {
    return (this.sql.stmt(`SELECT value FROM settings WHERE key = ?`).get(key) as { value: string } | undefined)?.value;
  }

  all(): SavedSetting[] {
    return this.sql.stmt(`SELECT key, value, updated_by AS updatedBy, updated_at AS updatedAt FROM settings ORDER BY key`).all() as SavedSetting[];
  }

  set(key: string, value: string, by: string, at: string): void {
    this.sql
      .stmt(
        `INSERT INTO settings (key, value, updated_by, updated_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_by = excluded.updated_by, updated_at = excluded.updated_at`,
      )
      .run(key, value, by, at);
  }

  /** Returns whether there was one. */
  unset(key: string): boolean {
    return this.sql.stmt(`DELETE FROM settings WHERE key = ?`).run(key).changes === 1;
  }
}
