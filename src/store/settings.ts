import type { Db } from './db.js';

export interface SavedSetting {
  key: string;
  value: string;
  updatedBy: string;
  updatedAt: string;
}

/** Saved delivery settings (`config set`): one row per key. Never a secret: those stay in files. */
export class SettingRepository {
  constructor(private readonly db: Db) {}

  async get(key: string): Promise<string | undefined> {
    return (await this.db.get<{ value: string }>(`SELECT value FROM settings WHERE key = @key`, { key }))?.value;
  }

  all(): Promise<SavedSetting[]> {
    return this.db.all(`SELECT key, value, updated_by AS "updatedBy", updated_at AS "updatedAt" FROM settings ORDER BY key`);
  }

  async set(key: string, value: string, by: string, at: string): Promise<void> {
    await this.db.run(
      `INSERT INTO settings (key, value, updated_by, updated_at) VALUES (@key, @value, @by, @at)
       ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_by = excluded.updated_by, updated_at = excluded.updated_at`,
      { key, value, by, at },
    );
  }

  /** Returns whether there was one. */
  async unset(key: string): Promise<boolean> {
    return (await this.db.run(`DELETE FROM settings WHERE key = @key`, { key })) === 1;
  }
}
