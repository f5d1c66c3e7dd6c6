import type { Db } from './db.js';
import type { Partner } from './types.js';

const PARTNER = `id, name, created_by AS "createdBy", created_at AS "createdAt"`;

export function partnerKey(name: string): string {
  return name.trim().toLowerCase();
}

export type PartnerSummary = Partner & { hosts: number; guests: number; accounts: number };

/** Local partners and their Host Admins (workspace members who manage them). */
export class PartnerRepository {
  constructor(private readonly db: Db) {}

  find(name: string): Promise<Partner | undefined> {
    return this.db.get(`SELECT ${PARTNER} FROM partners WHERE name_key = @key`, { key: partnerKey(name) });
  }

  get(id: number): Promise<Partner | undefined> {
    return this.db.get(`SELECT ${PARTNER} FROM partners WHERE id = @id`, { id });
  }

  async list(): Promise<PartnerSummary[]> {
    const rows = await this.db.all<PartnerSummary>(
      `SELECT ${PARTNER},
              (SELECT count(*) FROM partner_hosts h WHERE h.partner_id = p.id) AS hosts,
              (SELECT count(*) FROM guests g WHERE g.partner_id = p.id) AS guests,
              (SELECT count(*) FROM account_shares s WHERE s.partner_id = p.id) AS accounts
         FROM partners p ORDER BY name_key`,
    );
    // PostgreSQL's count() is a bigint, which node-postgres hands over as text.
    return rows.map((r) => ({ ...r, hosts: Number(r.hosts), guests: Number(r.guests), accounts: Number(r.accounts) }));
  }

  async insert(name: string, createdBy: string, at: string): Promise<number> {
    const row = await this.db.get<{ id: number }>(
      `INSERT INTO partners (name, name_key, created_by, created_at) VALUES (@name, @key, @createdBy, @at) RETURNING id`,
      { name, key: partnerKey(name), createdBy, at },
    );
    return row!.id;
  }

  async addHost(partnerId: number, email: string, emailKey: string, addedBy: string, at: string): Promise<boolean> {
    const added = await this.db.run(
      `INSERT INTO partner_hosts (partner_id, email_key, email, added_by, added_at) VALUES (@partnerId, @emailKey, @email, @addedBy, @at) ON CONFLICT DO NOTHING`,
      { partnerId, emailKey, email, addedBy, at },
    );
    return added === 1;
  }

  hosts(partnerId: number): Promise<{ email: string; addedBy: string; addedAt: string }[]> {
    // In the order they were added: SQLite's rowid; PostgreSQL's time, then its row position
    // (host rows are only ever inserted or deleted, never updated in place).
    const order = this.db.dialect === 'postgres' ? 'added_at, ctid' : 'rowid';
    return this.db.all(`SELECT email, added_by AS "addedBy", added_at AS "addedAt" FROM partner_hosts WHERE partner_id = @partnerId ORDER BY ${order}`, {
      partnerId,
    });
  }

  /** Ids of the partners this member hosts. */
  async hostedBy(emailKey: string): Promise<number[]> {
    return (await this.db.all<{ id: number }>(`SELECT partner_id AS id FROM partner_hosts WHERE email_key = @emailKey`, { emailKey })).map((r) => r.id);
  }
}
