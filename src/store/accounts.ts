import type { Sql } from './sql.js';
import type { Account, AccountRole } from './types.js';

const ACCOUNT = `id, name, url, created_by AS createdBy, created_at AS createdAt`;

export function accountKey(name: string): string {
  return name.trim().toLowerCase();
}

export interface ShareRow {
  account: string;
  to: string;
  kind: 'partner' | 'guest';
  role: AccountRole;
  sharedBy: string;
  sharedAt: string;
}

export interface AccountWithShares extends Account {
  shares: ShareRow[];
}

export interface GuestAccess {
  account: string;
  url: string | null;
  role: AccountRole;
  via: string;
}

/** Shared accounts and who they are shared with (partners, guests). */
export class AccountRepository {
  constructor(private readonly sql: Sql) {}

  find(name: string): Account | undefined {
    return this.sql.stmt(`SELECT ${ACCOUNT} FROM accounts WHERE name_key = ?`).get(accountKey(name)) as Account | undefined;
  }

  insert(name: string, url: string | null, createdBy: string, at: string): number {
    return Number(
      this.sql
        .stmt(`INSERT INTO accounts (name, name_key, url, created_by, created_at) VALUES (?, ?, ?, ?, ?)`)
        .run(name, accountKey(name), url, createdBy, at).lastInsertRowid,
    );
  }

  list(): AccountWithShares[] {
    const accounts = this.sql.stmt(`SELECT ${ACCOUNT} FROM accounts ORDER BY name_key`).all() as Account[];
    const shares = this.sql
      .stmt(
        `SELECT a.name AS account, coalesce(p.name, g.email) AS "to", CASE WHEN s.partner_id IS NULL THEN 'guest' ELSE 'partner' END AS kind,
              s.role, s.shared_by AS sharedBy, s.shared_at AS sharedAt, s.account_id AS accountId
         FROM account_shares s JOIN accounts a ON a.id = s.account_id
         LEFT JOIN partners p ON p.id = s.partner_id LEFT JOIN guests g ON g.id = s.guest_id
        ORDER BY s.id`,
      )
      .all() as (ShareRow & { accountId: number })[];
    return accounts.map((a) => ({
      ...a,
      shares: shares.filter((s) => s.accountId === a.id).map(({ accountId: _id, ...rest }) => rest),
    }));
  }

  /** Shares an account with a partner (role user) or a guest; a repeat updates the role. */
  upsertShare(share: { accountId: number; partnerId?: number; guestId?: number; role: AccountRole; sharedBy: string; at: string }): 'added' | 'updated' | 'unchanged' {
    const existing = this.sql
      .stmt(
        `SELECT id, role FROM account_shares WHERE account_id = @accountId
          AND ((@partnerId IS NOT NULL AND partner_id = @partnerId) OR (@guestId IS NOT NULL AND guest_id = @guestId))`,
      )
      .get({ accountId: share.accountId, partnerId: share.partnerId ?? null, guestId: share.guestId ?? null }) as
      | { id: number; role: AccountRole }
      | undefined;
    if (existing?.role === share.role) return 'unchanged';
    if (existing) {
      this.sql.stmt(`UPDATE account_shares SET role = ?, shared_by = ?, shared_at = ? WHERE id = ?`).run(share.role, share.sharedBy, share.at, existing.id);
      return 'updated';
    }
    this.sql
      .stmt(`INSERT INTO account_shares (account_id, partner_id, guest_id, role, shared_by, shared_at) VALUES (?, ?, ?, ?, ?, ?)`)
      .run(share.accountId, share.partnerId ?? null, share.guestId ?? null, share.role, share.sharedBy, share.at);
    return 'added';
  }

  removeShare(accountId: number, target: { partnerId?: number; guestId?: number }): boolean {
    return (
      this.sql
        .stmt(
          `DELETE FROM account_shares WHERE account_id = @accountId
            AND ((@partnerId IS NOT NULL AND partner_id = @partnerId) OR (@guestId IS NOT NULL AND guest_id = @guestId))`,
        )
        .run({ accountId, partnerId: target.partnerId ?? null, guestId: target.guestId ?? null }).changes > 0
    );
  }

  /** The guest's role on an account, directly or through their partner (manager wins). */
  guestRole(guestId: number, accountId: number): AccountRole | undefined {
    const row = this.sql
      .stmt(
        `SELECT min(CASE s.role WHEN 'manager' THEN 0 ELSE 1 END) AS rank
         FROM account_shares s JOIN guests g ON g.id = @guestId
        WHERE s.account_id = @accountId AND (s.guest_id = g.id OR (g.partner_id IS NOT NULL AND s.partner_id = g.partner_id))`,
      )
      .get({ guestId, accountId }) as { rank: number | null };
    return row.rank === null ? undefined : row.rank === 0 ? 'manager' : 'user';
  }

  /** Exactly what a guest can access: direct shares and their partner's. */
  guestAccess(guestId: number): GuestAccess[] {
    return this.sql
      .stmt(
        `SELECT a.name AS account, a.url, s.role, CASE WHEN s.guest_id IS NOT NULL THEN 'direct' ELSE 'partner ' || p.name END AS via
         FROM account_shares s
         JOIN accounts a ON a.id = s.account_id
         JOIN guests g ON g.id = @guestId
         LEFT JOIN partners p ON p.id = s.partner_id
        WHERE s.guest_id = g.id OR (g.partner_id IS NOT NULL AND s.partner_id = g.partner_id)
        ORDER BY a.name_key, via`,
      )
      .all({ guestId }) as GuestAccess[];
  }

  /** The accounts shared with a partner. */
  ofPartner(partnerId: number): { account: string; role: AccountRole; sharedBy: string }[] {
    return this.sql
      .stmt(
        `SELECT a.name AS account, s.role, s.shared_by AS sharedBy FROM account_shares s JOIN accounts a ON a.id = s.account_id
        WHERE s.partner_id = ? ORDER BY a.name_key`,
      )
      .all(partnerId) as { account: string; role: AccountRole; sharedBy: string }[];
  }
}
