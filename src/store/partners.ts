import type { Sql } from './sql.js';
import type { Partner } from './types.js';

const PARTNER = `id, name, created_by AS createdBy, created_at AS createdAt`;

export function partnerKey(name: string): string {
  return name.trim().toLowerCase();
}

/** Local partners and their Host Admins (workspace members who manage them). */
export class PartnerRepository {
  constructor(private readonly sql: Sql) {}

  find(name: string): Partner | undefined {
    return this.sql.stmt(`SELECT ${PARTNER} FROM partners WHERE name_key = ?`).get(partnerKey(name)) as Partner | undefined;
  }

  get(id: number): Partner | undefined {
    return this.sql.stmt(`SELECT ${PARTNER} FROM partners WHERE id = ?`).get(id) as Partner | undefined;
  }

  list(): (Partner & { hosts: number; guests: number; accounts: number })[] {
    return this.sql
      .stmt(
        `SELECT ${PARTNER},
              (SELECT count(*) FROM partner_hosts h WHERE h.partner_id = p.id) AS hosts,
              (SELECT count(*) FROM guests g WHERE g.partner_id = p.id) AS guests,
              (SELECT count(*) FROM account_shares s WHERE s.partner_id = p.id) AS accounts
         FROM partners p ORDER BY name_key`,
      )
      .all() as (Partner & { hosts: number; guests: number; accounts: number })[];
  }

  insert(name: string, createdBy: string, at: string): number {
    return Number(
      this.sql.stmt(`INSERT INTO partners (name, name_key, created_by, created_at) VALUES (?, ?, ?, ?)`).run(name, partnerKey(name), createdBy, at)
        .lastInsertRowid,
    );
  }

  addHost(partnerId: number, email: string, emailKey: string, addedBy: string, at: string): boolean {
    return (
      this.sql
        .stmt(`INSERT OR IGNORE INTO partner_hosts (partner_id, email_key, email, added_by, added_at) VALUES (?, ?, ?, ?, ?)`)
        .run(partnerId, emailKey, email, addedBy, at).changes === 1
    );
  }

  hosts(partnerId: number): { email: string; addedBy: string; addedAt: string }[] {
    return this.sql
      .stmt(`SELECT email, added_by AS addedBy, added_at AS addedAt FROM partner_hosts WHERE partner_id = ? ORDER BY rowid`)
      .all(partnerId) as { email: string; addedBy: string; addedAt: string }[];
  }

  /** Ids of the partners this member hosts. */
  hostedBy(emailKey: string): number[] {
    return (this.sql.stmt(`SELECT partner_id AS id FROM partner_hosts WHERE email_key = ?`).all(emailKey) as { id: number }[]).map((r) => r.id);
  }
}
