import type { Sql } from './sql.js';
import type { Member, MemberRole } from './types.js';

/** The workspace's members and their roles. */
export class MemberRepository {
  constructor(private readonly sql: Sql) {}

  find(emailKey: string): Member | undefined {
    return this.sql
      .stmt(`SELECT id, email, role, added_by AS addedBy, created_at AS createdAt FROM members WHERE email_key = ?`)
      .get(emailKey) as Member | undefined;
  }

  firstOwner(): Member | undefined {
    return this.sql
      .stmt(
        `SELECT id, email, role, added_by AS addedBy, created_at AS createdAt
         FROM members WHERE role = 'owner' ORDER BY id LIMIT 1`,
      )
      .get() as Member | undefined;
  }

  add(email: string, emailKey: string, role: MemberRole, addedBy: string | null, at: string): void {
    this.sql.stmt(`INSERT INTO members (email, email_key, role, added_by, created_at) VALUES (?, ?, ?, ?, ?)`).run(
      email,
      emailKey,
      role,
      addedBy,
      at,
    );
  }

  setRole(emailKey: string, role: MemberRole): void {
    this.sql.stmt(`UPDATE members SET role = ? WHERE email_key = ?`).run(role, emailKey);
  }

  list(): Member[] {
    return this.sql.stmt(`SELECT id, email, role, added_by AS addedBy, created_at AS createdAt FROM members ORDER BY id`).all() as Member[];
  }
}
