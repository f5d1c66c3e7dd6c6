import type { Db } from './db.js';
import type { Workspace } from './types.js';

export interface PasswordPolicy {
  minLength: number;
  mfaRequired: boolean;
}

/** The workspace's one row: its settings, password policy and domains. */
export class WorkspaceRepository {
  constructor(private readonly db: Db) {}

  get(): Promise<Workspace | undefined> {
    return this.db.get(
      `SELECT name, sign_in_url AS "signInUrl", sender, invite_ttl_seconds AS "inviteTtlSeconds",
              hmac_key AS "hmacKey", instance_id AS "instanceId", created_at AS "createdAt"
         FROM workspace WHERE id = 1`,
    );
  }

  async create(ws: Workspace): Promise<void> {
    await this.db.run(
      `INSERT INTO workspace (id, name, sign_in_url, sender, invite_ttl_seconds, hmac_key, instance_id, created_at)
       VALUES (1, @name, @signInUrl, @sender, @inviteTtlSeconds, @hmacKey, @instanceId, @createdAt)`,
      { ...ws },
    );
  }

  async passwordPolicy(): Promise<PasswordPolicy> {
    const row = await this.db.get<{ minLength: number; mfaRequired: boolean | number }>(
      `SELECT password_min_length AS "minLength", mfa_required AS "mfaRequired" FROM workspace WHERE id = 1`,
    );
    return { minLength: row!.minLength, mfaRequired: row!.mfaRequired === true || row!.mfaRequired === 1 };
  }

  async setPasswordPolicy(minLength: number, mfaRequired: boolean): Promise<void> {
    await this.db.run(`UPDATE workspace SET password_min_length = @minLength, mfa_required = @mfaRequired WHERE id = 1`, { minLength, mfaRequired });
  }

  async domains(): Promise<string[]> {
    return (await this.db.all<{ domain: string }>(`SELECT domain FROM workspace_domains ORDER BY domain`)).map((r) => r.domain);
  }

  async addDomain(domain: string): Promise<boolean> {
    return (await this.db.run(`INSERT INTO workspace_domains (domain) VALUES (@domain) ON CONFLICT DO NOTHING`, { domain: domain.toLowerCase() })) === 1;
  }
}
