import type { Factory } from '../../factory.js';
import { ok, type Result } from '../../result.js';
import { openSession } from '../../session.js';
import { UsageError } from '../../errors.js';
import { authorize, requireCanGrant } from '../../permissions.js';
import { MEMBER_ROLES, type Member, type MemberRole } from '../../store/types.js';
import { iso } from '../../time.js';
import { emailInput, emailKey, requireEmail } from '../../validate.js';

export function parseMemberRole(text: string): MemberRole {
  if ((MEMBER_ROLES as readonly string[]).includes(text)) return text as MemberRole;
  if (text === 'guest') throw new UsageError('guests are not added as members: use `cerby-guests invite EMAIL`');
  throw new UsageError(`unknown role ${JSON.stringify(text.slice(0, 40))}: use one of ${MEMBER_ROLES.join(', ')}`);
}

export interface MemberAdded {
  email: string;
  role: MemberRole;
  change: 'added' | 'updated' | 'unchanged';
}

export async function runMembersAdd(opts: { email: string; role: string }, f: Factory): Promise<Result<MemberAdded>> {
  const email = requireEmail(emailInput(opts.email));
  const role = parseMemberRole(opts.role);
  const { store, actor } = await openSession(f);
  requireCanGrant(actor, role);
  const key = emailKey(email);
  if (await store.guests.find(key)) throw new UsageError(`${email} is a guest of this workspace; a guest cannot also be a member`);
  const at = iso(f.now());
  const added = await store.write(async (tx) => {
    const existing = await tx.members.find(key);
    if (existing?.role === role) return { email: existing.email, role, change: 'unchanged' as const };
    if (existing) {
      if (existing.role === 'owner' && (await tx.members.list()).filter((m) => m.role === 'owner').length === 1) {
        throw new UsageError(`${existing.email} is the only owner; add another owner first`);
      }
      requireCanGrant(actor, existing.role);
      await tx.members.setRole(key, role);
    } else {
      await tx.members.add(email, key, role, actor.email, at);
    }
    await tx.audit.record({ at, actor: actor.email, action: existing ? 'member.role' : 'member.add', target: key, detail: { role } });
    return { email: existing?.email ?? email, role, change: existing ? ('updated' as const) : ('added' as const) };
  });
  return ok(added);
}

export async function runMembersList(_opts: object, f: Factory): Promise<Result<Member[]>> {
  const { store, actor } = await openSession(f);
  authorize(actor, { action: 'members.list' });
  return ok(await store.members.list());
}
