import { identityProblem } from './address.js';
import { NotPermittedError, UsageError } from './errors.js';
import type { Store } from './store/store.js';
import type { Account, AccountRole, Guest, MemberRole, Partner, PartnerRole } from './store/types.js';
import { displayText, emailKey } from './validate.js';

/** Who is acting: a workspace member, a guest (acting only once joined), or nobody the workspace knows. */
export interface Actor {
  email: string;
  role: MemberRole | 'guest' | 'unknown';
  /** Partners this member is Host Admin of. */
  hostOf: number[];
  guest?: { id: number; joined: boolean; partnerId: number | null; partnerName: string | null; partnerRole: PartnerRole | null };
}

/** Everything a command may ask to do. Every rule of SPEC §6 and the partner rules is below, in one place. */
export type Request =
  /** `existing`: the guest as they are now, when the address is known (an invite again, or a resumed send). */
  | { action: 'invite'; partner?: Partner; partnerRole?: PartnerRole; existing?: Guest }
  | { action: 'invite.fromImport' }
  | { action: 'manageGuest'; verb: 'resend' | 'revoke' | 'show' | 'unlock'; target: Guest }
  | { action: 'list' }
  | { action: 'members.add' | 'members.list' | 'outbox' | 'import' | 'workspace.domains' | 'config.set' | 'config.list' }
  | { action: 'partners.create' | 'partners.list' }
  | { action: 'partners.addHost' | 'partners.show'; partner: Partner }
  | { action: 'accounts.add' | 'accounts.list' }
  | { action: 'share'; account: Account; partner: Partner }
  | { action: 'share'; account: Account; guest: Guest; role: AccountRole };

const MEMBERS: readonly MemberRole[] = ['owner', 'super_admin', 'admin', 'user'];
const ADMINS: readonly MemberRole[] = ['owner', 'super_admin', 'admin'];
const RANK: Record<MemberRole, number> = { owner: 4, super_admin: 3, admin: 2, user: 1 };

export async function resolveActor(store: Store, requested: string | undefined): Promise<Actor> {
  if (requested === undefined || requested === '') {
    const owner = await store.members.firstOwner();
    return owner ? { email: owner.email, role: owner.role, hostOf: await store.partners.hostedBy(emailKey(owner.email)) } : { email: '(nobody)', role: 'unknown', hostOf: [] };
  }
  // An invisible character would be dropped by IDNA and act as the member it hides in.
  const problem = identityProblem(requested);
  if (problem) throw new UsageError(`invalid --as address "${displayText(requested)}": ${problem}`);
  const key = emailKey(requested);
  const member = await store.members.find(key);
  if (member) return { email: member.email, role: member.role, hostOf: await store.partners.hostedBy(key) };
  const guest = await store.guests.find(key);
  if (guest) {
    return {
      email: guest.email,
      role: 'guest',
      hostOf: [],
      guest: {
        id: guest.id,
        joined: guest.status === 'joined',
        partnerId: guest.partnerId,
        partnerName: guest.partnerId === null ? null : ((await store.partners.get(guest.partnerId))?.name ?? null),
        partnerRole: guest.partnerRole,
      },
    };
  }
  return { email: requested, role: 'unknown', hostOf: [] };
}

function who(actor: Actor): string {
  if (actor.role === 'unknown') return `${actor.email} is not a member of this workspace`;
  if (actor.guest) {
    const g = actor.guest;
    const label = g.partnerRole === 'guest_admin' ? 'Guest Admin' : 'Guest User';
    const of = g.partnerName ? ` of partner ${g.partnerName}` : '';
    return `${actor.email} is a ${g.partnerName ? label : 'guest'}${of}${g.joined ? '' : ' who has not joined yet'}`;
  }
  return `${actor.email} is ${/^[aeiou]/.test(actor.role) ? 'an' : 'a'} ${actor.role}`;
}

function refuse(actor: Actor, what: string, needed: string): never {
  throw new NotPermittedError(`not permitted: ${who(actor)}; to ${what} you need ${needed}`);
}

const isMember = (actor: Actor) => (MEMBERS as readonly string[]).includes(actor.role);
const isAdmin = (actor: Actor) => (ADMINS as readonly string[]).includes(actor.role);
/** A joined Guest Admin of the given partner. */
const isGuestAdminOf = (actor: Actor, partnerId: number | null) =>
  actor.guest?.joined === true && actor.guest.partnerRole === 'guest_admin' && partnerId !== null && actor.guest.partnerId === partnerId;

const MEMBER_ROLES_TEXT = 'the role owner, super_admin, admin or user';
const ADMIN_ROLES_TEXT = 'the role owner, super_admin or admin';

/**
 * Checks a request before anything changes; throws NotPermittedError (exit 4) saying which
 * role would be needed. Returns the scope a guest admin is limited to, where that applies.
 */
export function authorize(actor: Actor, request: Request): { partnerId?: number } {
  switch (request.action) {
    case 'invite': {
      if (isMember(actor)) return {};
      if (request.partner && isGuestAdminOf(actor, request.partner.id)) {
        if (request.partnerRole !== 'guest_user') {
          refuse(actor, `invite a Guest Admin to ${request.partner.name}`, `${MEMBER_ROLES_TEXT}: a Guest Admin invites Guest Users only`);
        }
        // The guest as they are now counts as well as the target: a Guest Admin never moves
        // someone else's guest (another partner's, or the workspace's) into their partner.
        const existing = request.existing;
        if (existing && !(existing.partnerId === request.partner.id && existing.partnerRole === 'guest_user')) {
          refuse(
            actor,
            `invite ${existing.email} again`,
            `${MEMBER_ROLES_TEXT}: ${existing.email} is not a Guest User of ${request.partner.name}`,
          );
        }
        return { partnerId: request.partner.id };
      }
      return refuse(
        actor,
        request.partner ? `invite guests to partner ${request.partner.name}` : 'invite guests',
        request.partner ? `${MEMBER_ROLES_TEXT}, or to be Guest Admin of ${request.partner.name}` : MEMBER_ROLES_TEXT,
      );
    }
    case 'invite.fromImport':
    case 'config.set':
    case 'import':
    case 'workspace.domains':
    case 'partners.create':
    case 'members.add':
      if (isAdmin(actor)) return {};
      return refuse(actor, VERBS[request.action], ADMIN_ROLES_TEXT);
    case 'partners.addHost':
      if (isAdmin(actor)) return {};
      return refuse(actor, `add Host Admins to ${request.partner.name}`, ADMIN_ROLES_TEXT);
    case 'manageGuest': {
      if (isMember(actor)) return {};
      const target = request.target;
      if (isGuestAdminOf(actor, target.partnerId) && target.partnerRole === 'guest_user') return { partnerId: target.partnerId! };
      return refuse(
        actor,
        `${request.verb} the invite of ${target.email}`,
        `${MEMBER_ROLES_TEXT}${target.partnerId !== null && target.partnerRole === 'guest_user' ? ', or to be Guest Admin of its partner' : ''}`,
      );
    }
    case 'list':
      if (isMember(actor)) return {};
      if (actor.guest?.joined && actor.guest.partnerRole === 'guest_admin' && actor.guest.partnerId !== null) return { partnerId: actor.guest.partnerId };
      return refuse(actor, 'list guests', `${MEMBER_ROLES_TEXT}, or to be a Guest Admin (for your partner's guests)`);
    case 'members.list':
    case 'config.list':
    case 'outbox':
    case 'partners.list':
    case 'accounts.add':
      if (isMember(actor)) return {};
      return refuse(actor, VERBS[request.action], MEMBER_ROLES_TEXT);
    case 'accounts.list':
      // Members see every account; a joined guest sees exactly what they can access.
      if (isMember(actor) || actor.guest?.joined) return {};
      return refuse(actor, VERBS[request.action], `${MEMBER_ROLES_TEXT}, or to be a guest who has joined`);
    case 'partners.show':
      if (isMember(actor) || (actor.guest?.joined && actor.guest.partnerId === request.partner.id)) return {};
      return refuse(actor, `see partner ${request.partner.name}`, `${MEMBER_ROLES_TEXT}, or to belong to ${request.partner.name}`);
    case 'share': {
      if (isAdmin(actor)) return {};
      if ('partner' in request) {
        if (actor.hostOf.includes(request.partner.id)) return {};
        return refuse(actor, `share ${request.account.name} with partner ${request.partner.name}`, `${ADMIN_ROLES_TEXT}, or to be Host Admin of ${request.partner.name}`);
      }
      const target = request.guest;
      if (target.partnerId !== null && actor.hostOf.includes(target.partnerId)) return {};
      if (isGuestAdminOf(actor, target.partnerId)) {
        if (target.partnerRole !== 'guest_user') {
          return refuse(actor, `share ${request.account.name} with ${target.email}`, `${ADMIN_ROLES_TEXT}: a Guest Admin shares with Guest Users only`);
        }
        if (request.role !== 'user') {
          return refuse(actor, `grant the manager role on ${request.account.name}`, `${ADMIN_ROLES_TEXT}, or to be Host Admin of the partner`);
        }
        return {};
      }
      return refuse(
        actor,
        `share ${request.account.name} with ${target.email}`,
        `${ADMIN_ROLES_TEXT}, to be Host Admin of the guest's partner, or to be its Guest Admin with the Manager role on the account`,
      );
    }
  }
}

/** The Guest Admin's extra condition for sharing: the Manager role on that account. Needs the store. */
export function authorizeShare(
  actor: Actor,
  request: Extract<Request, { action: 'share' }>,
  /** The acting guest's role on the account, looked up only when it decides. */
  roleOnAccount: (guestId: number, accountId: number) => AccountRole | undefined,
): void {
  authorize(actor, request);
  if (!isAdmin(actor) && actor.guest && 'guest' in request) {
    const role = roleOnAccount(actor.guest.id, request.account.id);
    if (role !== 'manager') {
      refuse(actor, `share ${request.account.name}`, `the Manager role on ${request.account.name} (you have ${role ?? 'no role'} on it)`);
    }
  }
}

/** How a refusal names what was asked, for the requests that carry no target. */
const VERBS: Record<
  | 'invite.fromImport'
  | 'import'
  | 'workspace.domains'
  | 'config.set'
  | 'config.list'
  | 'partners.create'
  | 'members.add'
  | 'members.list'
  | 'outbox'
  | 'partners.list'
  | 'accounts.add'
  | 'accounts.list',
  string
> = {
  'invite.fromImport': 'invite guests from an import',
  import: 'import from a password manager',
  'workspace.domains': "change the workspace's domains",
  'config.set': 'change the saved delivery settings',
  'config.list': 'see the delivery settings',
  'partners.create': 'create partners',
  'members.add': 'add members',
  'members.list': 'list members',
  outbox: 'manage the outbox',
  'partners.list': 'list partners',
  'accounts.add': 'add accounts',
  'accounts.list': 'list accounts',
};

/** Adding a member: an admin role, and never a role above one's own. */
export function requireCanGrant(actor: Actor, role: MemberRole): void {
  authorize(actor, { action: 'members.add' });
  if (RANK[role] > RANK[actor.role as MemberRole]) {
    throw new NotPermittedError(`not permitted: ${who(actor)} and may not grant the higher role ${role}`);
  }
}
