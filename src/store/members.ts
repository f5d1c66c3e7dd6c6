import { inList, listParam, type Db } from './db.js';
import type { Member, MemberRole } from './types.js';

const MEMBER = `id, email, role, added_by AS "addedBy", created_at AS "createdAt"`;

/** The workspace's members and their roles. */
export class MemberRepository {
  constructor(private readonly db: Db) {}

  find(emailKey: string): Promise<Member | undefined> {
    return this.db.get(`SELECT ${MEMBER} FROM members WHERE email_key = @emailKey`, { emailKey });
  }

  /** The members with these address keys, by key (one statement for a batch). */
  async findMany(emailKeys: readonly string[]): Promise<Map<string, Member>> {
    const rows = await this.db.all<Member & { key: string }>(`SELECT ${MEMBER}, email_key AS key FROM members WHERE ${inList(this.db.dialect, 'email_key', 'keys')}`, {
      keys: listParam(this.db.dialect, emailKeys),
    });
    return new Map(rows.map(({ key, ...member }) => [key, member]));
  }

  firstOwner(): Promise<Member | undefined> {
    return this.db.get(`SELECT ${MEMBER} FROM members WHERE role = 'owner' ORDER BY id LIMIT 1`);
  }

  async add(email: string, emailKey: string, role: MemberRole, addedBy: string | null, at: string): Promise<void> {
    await this.db.run(`INSERT INTO members (email, email_key, role, added_by, created_at) VALUES (@email, @emailKey, @role, @addedBy, @at)`, {
      email,
      emailKey,
      role,
      addedBy,
      at,
    });
  }

  async setRole(emailKey: string, role: MemberRole): Promise<void> {
    await this.db.run(`UPDATE members SET role = @role WHERE email_key = @emailKey`, { role, emailKey });
  }

  list(): Promise<Member[]> {
    return this.db.all(`SELECT ${MEMBER} FROM members ORDER BY id`);
  }
}
