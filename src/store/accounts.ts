import type { Db } from './db.js';
import type { Account, AccountRole } from './types.js';

const ACCOUNT = `id, name, url, created_by AS "createdBy", created_at AS "createdAt"`;

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
  constructor(private readonly db: Db) {}

  find(name: string): Promise<Account | undefined> {
    return this.db.get(`SELECT ${ACCOUNT} FROM accounts WHERE name_key = @key`, { key: accountKey(name) });
  }

  async insert(name: string, url: string | null, createdBy: string, at: string): Promise<number> {
    const row = await this.db.get<{ id: number }>(
      `INSERT INTO accounts (name, name_key, url, created_by, created_at) VALUES (@name, @key, @url, @createdBy, @at) RETURNING id`,
      { name, key: accountKey(name), url, createdBy, at },
    );
    return row!.id;
  }

  async list(): Promise<AccountWithShares[]> {
    const accounts = await this.db.all<Account>(`SELECT ${ACCOUNT} FROM accounts ORDER BY name_key`);
    const shares = await this.db.all<ShareRow & { accountId: number }>(
      `SELECT a.name AS account, coalesce(p.name, g.email) AS "to", CASE WHEN s.partner_id IS NULL THEN 'guest' ELSE 'partner' END AS kind,
              s.role, s.shared_by AS "sharedBy", s.shared_at AS "sharedAt", s.account_id AS "accountId"
         FROM account_shares s JOIN accounts a ON a.id = s.account_id
         LEFT JOIN partners p ON p.id = s.partner_id LEFT JOIN guests g ON g.id = s.guest_id
        ORDER BY s.id`,
    );
    return accounts.map((a) => ({
      ...a,
      shares: shares.filter((s) => s.accountId === a.id).map(({ accountId: _id, ...rest }) => rest),
    }));
  }

  /** Shares an account with a partner (role user) or a guest; a repeat updates the role. Run it in a write transaction. */
  async upsertShare(share: { accountId: number; partnerId?: number; guestId?: number; role: AccountRole; sharedBy: string; at: string }): Promise<'added' | 'updated' | 'unchanged'> {
    const existing = await this.db.get<{ id: number; role: AccountRole }>(
      `SELECT id, role FROM account_shares WHERE account_id = @accountId AND (partner_id = @partnerId OR guest_id = @guestId)`,
      { accountId: share.accountId, partnerId: share.partnerId ?? null, guestId: share.guestId ?? null },
    );
    if (existing?.role === share.role) return 'unchanged';
    if (existing) {
      await this.db.run(`UPDATE account_shares SET role = @role, shared_by = @sharedBy, shared_at = @at WHERE id = @id`, {
        role: share.role,
        sharedBy: share.sharedBy,
        at: share.at,
        id: existing.id,
      });
      return 'updated';
    }
    await this.db.run(
      `INSERT INTO account_shares (account_id, partner_id, guest_id, role, shared_by, shared_at) VALUES (@accountId, @partnerId, @guestId, @role, @sharedBy, @at)`,
      { accountId: share.accountId, partnerId: share.partnerId ?? null, guestId: share.guestId ?? null, role: share.role, sharedBy: share.sharedBy, at: share.at },
    );
    return 'added';
  }

  async removeShare(accountId: number, target: { partnerId?: number; guestId?: number }): Promise<boolean> {
    // `= NULL` is never true: an absent target matches nothing.
    const removed = await this.db.run(`DELETE FROM account_shares WHERE account_id = @accountId AND (partner_id = @partnerId OR guest_id = @guestId)`, {
      accountId,
      partnerId: target.partnerId ?? null,
      guestId: target.guestId ?? null,
    });
    return removed > 0;
  }

  /** The guest's role on an account, directly or through their partner (manager wins). */
  async guestRole(guestId: number, accountId: number): Promise<AccountRole | undefined> {
    const row = await this.db.get<{ rank: number | null }>(
      `SELECT min(CASE s.role WHEN 'manager' THEN 0 ELSE 1 END) AS rank
         FROM account_shares s JOIN guests g ON g.id = @guestId
        WHERE s.account_id = @accountId AND (s.guest_id = g.id OR (g.partner_id IS NOT NULL AND s.partner_id = g.partner_id))`,
      { guestId, accountId },
    );
    return row!.rank === null ? undefined : row!.rank === 0 ? 'manager' : 'user';
  }

  /** Exactly what a guest can access: direct shares and their partner's. */
  guestAccess(guestId: number): Promise<GuestAccess[]> {
    return this.db.all(
      `SELECT a.name AS account, a.url, s.role, CASE WHEN s.guest_id IS NOT NULL THEN 'direct' ELSE 'partner ' || p.name END AS via
         FROM account_shares s
         JOIN accounts a ON a.id = s.account_id
         JOIN guests g ON g.id = @guestId
         LEFT JOIN partners p ON p.id = s.partner_id
        WHERE s.guest_id = g.id OR (g.partner_id IS NOT NULL AND s.partner_id = g.partner_id)
        ORDER BY a.name_key, via`,
      { guestId },
    );
  }

  /** The accounts shared with a partner. */
  ofPartner(partnerId: number): Promise<{ account: string; role: AccountRole; sharedBy: string }[]> {
    return this.db.all(
      `SELECT a.name AS account, s.role, s.shared_by AS "sharedBy" FROM account_shares s JOIN accounts a ON a.id = s.account_id
        WHERE s.partner_id = @partnerId ORDER BY a.name_key`,
      { partnerId },
    );
  }
}
