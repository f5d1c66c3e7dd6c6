import { NotPermittedError } from './errors.js';
import type { Store } from './store/store.js';
import type { MemberRole } from './store/types.js';
import { emailKey } from './validate.js';

/** Who is acting: a workspace member with a role, a guest, or nobody the workspace knows. */
export interface Actor {
  email: string;
  role: MemberRole | 'guest' | 'unknown';
}

export type Action = 'invite' | 'resend' | 'revoke' | 'list' | 'show' | 'members.add' | 'members.list' | 'outbox';

const INVITERS: readonly Actor['role'][] = ['owner', 'super_admin', 'admin', 'user'];
const MEMBER_ADMINS: readonly Actor['role'][] = ['owner', 'super_admin', 'admin'];

/** SPEC §6: who may do what. One table, checked before anything changes. */
const ALLOWED: Record<Action, readonly Actor['role'][]> = {
  invite: INVITERS,
  resend: INVITERS,
  revoke: INVITERS,
  list: INVITERS,
  show: INVITERS,
  outbox: INVITERS,
  'members.add': MEMBER_ADMINS,
  'members.list': INVITERS,
};

const VERBS: Record<Action, string> = {
  invite: 'invite guests',
  resend: 'resend invites',
  revoke: 'revoke invites',
  list: 'list guests',
  show: 'see guests',
  outbox: 'manage the outbox',
  'members.add': 'add members',
  'members.list': 'list members',
};

/** Rank of member roles: one may grant a role only up to one's own. */
const RANK: Record<MemberRole, number> = { owner: 4, super_admin: 3, admin: 2, user: 1 };

export function resolveActor(store: Store, requested: string | undefined): Actor {
  if (requested === undefined || requested === '') {
    const owner = store.firstOwner();
    return owner ? { email: owner.email, role: owner.role } : { email: '(nobody)', role: 'unknown' };
  }
  const key = emailKey(requested);
  const member = store.findMember(key);
  if (member) return { email: member.email, role: member.role };
  const guest = store.findGuest(key);
  if (guest) return { email: guest.email, role: 'guest' };
  return { email: requested, role: 'unknown' };
}

function describe(actor: Actor): string {
  return actor.role === 'unknown' ? `${actor.email} is not a member of this workspace` : `${actor.email} is ${article(actor.role)} ${actor.role}`;
}

function article(role: string): string {
  return /^[aeiou]/.test(role) ? 'an' : 'a';
}

export function requirePermission(actor: Actor, action: Action): void {
  const allowed = ALLOWED[action];
  if (!allowed.includes(actor.role)) {
    throw new NotPermittedError(`not permitted: ${describe(actor)}; to ${VERBS[action]} you need the role ${allowed.join(', ')}`);
  }
}

/** Adding a member: an admin role, and never a role above one's own. */
export function requireCanGrant(actor: Actor, role: MemberRole): void {
  requirePermission(actor, 'members.add');
  const own = RANK[actor.role as MemberRole];
  if (RANK[role] > own) {
    throw new NotPermittedError(`not permitted: ${describe(actor)} and may not grant the higher role ${role}`);
  }
}
