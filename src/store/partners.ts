import type { Store } from './store.js';
import type { Partner } from './types.js';

const PARTNER = `id, name, created_by AS createdBy, created_at AS createdAt`;

export function partnerKey(name: string): string {
  return name.trim().toLowerCase();
}

export function findPartner(store: Store, name: string): Partner | undefined {
  return store.stmt(`SELECT ${PARTNER} FROM partners WHERE name_key = ?`).get(partnerKey(name)) as Partner | undefined;
}

export function getPartner(store: Store, id: number): Partner | undefined {
  return store.stmt(`SELECT ${PARTNER} FROM partners WHERE id = ?`).get(id) as Partner | undefined;
}

export function listPartners(store: Store): (Partner & { hosts: number; guests: number; accounts: number })[] {
  return store
    .stmt(
      `SELECT ${PARTNER},
              (SELECT count(*) FROM partner_hosts h WHERE h.partner_id = p.id) AS hosts,
              (SELECT count(*) FROM guests g WHERE g.partner_id = p.id) AS guests,
              (SELECT count(*) FROM account_shares s WHERE s.partner_id = p.id) AS accounts
         FROM partners p ORDER BY name_key`,
    )
    .all() as (Partner & { hosts: number; guests: number; accounts: number })[];
}

export function insertPartner(store: Store, name: string, createdBy: string, at: string): number {
  return Number(
    store.stmt(`INSERT INTO partners (name, name_key, created_by, created_at) VALUES (?, ?, ?, ?)`).run(name, partnerKey(name), createdBy, at)
      .lastInsertRowid,
  );
}

export function addPartnerHost(store: Store, partnerId: number, email: string, emailKey: string, addedBy: string, at: string): boolean {
  return (
    store
      .stmt(`INSERT OR IGNORE INTO partner_hosts (partner_id, email_key, email, added_by, added_at) VALUES (?, ?, ?, ?, ?)`)
      .run(partnerId, emailKey, email, addedBy, at).changes === 1
  );
}

export function partnerHosts(store: Store, partnerId: number): { email: string; addedBy: string; addedAt: string }[] {
  return store
    .stmt(`SELECT email, added_by AS addedBy, added_at AS addedAt FROM partner_hosts WHERE partner_id = ? ORDER BY rowid`)
    .all(partnerId) as { email: string; addedBy: string; addedAt: string }[];
}

/** Ids of the partners this member hosts. */
export function hostedPartnerIds(store: Store, emailKey: string): number[] {
  return (store.stmt(`SELECT partner_id AS id FROM partner_hosts WHERE email_key = ?`).all(emailKey) as { id: number }[]).map((r) => r.id);
}

export function workspaceDomains(store: Store): string[] {
  return (store.stmt(`SELECT domain FROM workspace_domains ORDER BY domain`).all() as { domain: string }[]).map((r) => r.domain);
}

export function addWorkspaceDomain(store: Store, domain: string): boolean {
  return store.stmt(`INSERT OR IGNORE INTO workspace_domains (domain) VALUES (?)`).run(domain.toLowerCase()).changes === 1;
}
