import type { RowMapper, Sql } from './sql.js';
import type { Workspace } from './types.js';

export interface PasswordPolicy {
  minLength: number;
  mfaRequired: boolean;
}

const passwordPolicy: RowMapper<{ minLength: number; mfaRequired: number }, PasswordPolicy> = (row) => ({
  minLength: row.minLength,
  mfaRequired: row.mfaRequired === 1,
});

/** The workspace's one row: its settings, password policy and domains. */
export class WorkspaceRepository {
  constructor(private readonly sql: Sql) {}

  get(): Workspace | undefined {
    return this.sql
      .stmt(
        `SELECT name, sign_in_url AS signInUrl, sender, invite_ttl_seconds AS inviteTtlSeconds,
              hmac_key AS hmacKey, instance_id AS instanceId, created_at AS createdAt
         FROM workspace WHERE id = 1`,
      )
      .get() as Workspace | undefined;
  }

  create(ws: Workspace): void {
    this.sql
      .stmt(
        `INSERT INTO workspace (id, name, sign_in_url, sender, invite_ttl_seconds, hmac_key, instance_id, created_at)
       VALUES (1, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(ws.name, ws.signInUrl, ws.sender, ws.inviteTtlSeconds, ws.hmacKey, ws.instanceId, ws.createdAt);
  }

  passwordPolicy(): PasswordPolicy {
    return passwordPolicy(
      this.sql.stmt(`SELECT password_min_length AS minLength, mfa_required AS mfaRequired FROM workspace WHERE id = 1`).get() as {
        minLength: number;
        mfaRequired: number;
      },
    );
  }

  setPasswordPolicy(minLength: number, mfaRequired: boolean): void {
    this.sql.stmt(`UPDATE workspace SET password_min_length = ?, mfa_required = ? WHERE id = 1`).run(minLength, mfaRequired ? 1 : 0);
  }

  domains(): string[] {
    return (this.sql.stmt(`SELECT domain FROM workspace_domains ORDER BY domain`).all() as { domain: string }[]).map((r) => r.domain);
  }

  addDomain(domain: string): boolean {
    return this.sql.stmt(`INSERT OR IGNORE INTO workspace_domains (domain) VALUES (?)`).run(domain.toLowerCase()).changes === 1;
  }
}
