import { NotPermittedError } from '../../src/errors.js';
import { authorize, authorizeShare, requireCanGrant, type Actor, type Request } from '../../src/permissions.js';
import type { Account, AccountRole, Guest, Partner } from '../../src/store/types.js';

/**
 * SPEC §6 and the partner rules as one table, on `authorize()` itself: a pure function, so the
 * 20 commands × 9 actors run in milliseconds. Each command is the request(s) it makes;
 * test/partners.test.ts runs a sample of the same table through the real command line.
 */

const P: Partner = { id: 1, name: 'Partner P', createdBy: 'owner@acme.example', createdAt: '2026-11-23T10:00:00.000Z' };
const R: Partner = { id: 3, name: 'Partner R', createdBy: 'owner@acme.example', createdAt: '2026-11-23T10:00:00.000Z' };
const ACCOUNT: Account = { id: 7, name: 'Acme Social', url: null, createdBy: 'owner@acme.example', createdAt: '2026-11-23T10:00:00.000Z' };

function guest(id: number, email: string, partner: Partner | null, partnerRole: Guest['partnerRole'], status: Guest['status']): Guest {
  return {
    id,
    email,
    name: null,
    familyName: null,
    status,
    invitedBy: 'owner@acme.example',
    invitedVia: partner ? 'partner' : 'members',
    message: null,
    invitedAt: '2026-11-23T10:00:00.000Z',
    lastSentAt: null,
    sendCount: 1,
    expiresAt: '2026-11-30T10:00:00.000Z',
    joinedAt: null,
    revokedAt: null,
    lastMessageId: null,
    partnerId: partner?.id ?? null,
    partnerRole,
    version: 0,
    setup: 'temporary_password',
    failedSignins: 0,
    lockedAt: null,
  };
}

/** The guests the commands act on: a pending Guest User and a pending Guest Admin of P, and P's joined Guest Admin. */
const PU = guest(10, 'pu@p.example', P, 'guest_user', 'pending');
const PGA = guest(11, 'pga@p.example', P, 'guest_admin', 'pending');
const GA = guest(12, 'ga@p.example', P, 'guest_admin', 'joined');

const asGuest = (email: string, id: number, partnerId: number, partnerName: string, partnerRole: 'guest_user' | 'guest_admin'): Actor => ({
  email,
  role: 'guest',
  hostOf: [],
  guest: { id, joined: true, partnerId, partnerName, partnerRole },
});

const ACTORS = {
  owner: { email: 'owner@acme.example', role: 'owner', hostOf: [P.id] },
  super_admin: { email: 'super@acme.example', role: 'super_admin', hostOf: [] },
  admin: { email: 'admin@acme.example', role: 'admin', hostOf: [] },
  user: { email: 'user@acme.example', role: 'user', hostOf: [] },
  host_admin: { email: 'host@acme.example', role: 'user', hostOf: [P.id] },
  guest_admin_p: asGuest('ga@p.example', GA.id, P.id, P.name, 'guest_admin'),
  guest_admin_q: asGuest('gaq@q.example', 13, 2, 'Partner Q', 'guest_admin'),
  guest_user: asGuest('gu@p.example', 14, P.id, P.name, 'guest_user'),
  unknown: { email: 'stranger@else.example', role: 'unknown', hostOf: [] },
} satisfies Record<string, Actor>;
type ActorName = keyof typeof ACTORS;
const ALL = Object.keys(ACTORS) as ActorName[];
const MEMBERS: ActorName[] = ['owner', 'super_admin', 'admin', 'user', 'host_admin'];
const ADMINS: ActorName[] = ['owner', 'super_admin', 'admin'];

/** The Manager role on the account: P's Guest Admin has it (as in the end-to-end workspace). */
const roleOnAccount = (guestId: number): AccountRole | undefined => (guestId === GA.id ? 'manager' : undefined);

type Check = (actor: Actor) => void;
const requests =
  (...list: Request[]): Check =>
  (actor) => {
    for (const request of list) authorize(actor, request);
  };
const share =
  (request: Extract<Request, { action: 'share' }>): Check =>
  (actor) =>
    authorizeShare(actor, request, roleOnAccount);

/** command → what it asks `authorize()`, and the actors allowed; everyone else is refused. */
const MATRIX: [string, Check, ActorName[]][] = [
  ['invite (workspace)', requests({ action: 'invite' }), MEMBERS],
  ['invite guest_user to P', requests({ action: 'invite', partner: P, partnerRole: 'guest_user' }), [...MEMBERS, 'guest_admin_p']],
  ['invite guest_admin to P', requests({ action: 'invite', partner: P, partnerRole: 'guest_admin' }), MEMBERS],
  ['resend a Guest User of P', requests({ action: 'list' }, { action: 'manageGuest', verb: 'resend', target: PU }), [...MEMBERS, 'guest_admin_p']],
  ['revoke a Guest User of P', requests({ action: 'list' }, { action: 'manageGuest', verb: 'revoke', target: PU }), [...MEMBERS, 'guest_admin_p']],
  ['show a Guest User of P', requests({ action: 'list' }, { action: 'manageGuest', verb: 'show', target: PU }), [...MEMBERS, 'guest_admin_p']],
  ['resend a pending Guest Admin of P', requests({ action: 'list' }, { action: 'manageGuest', verb: 'resend', target: PGA }), MEMBERS],
  ['list guests', requests({ action: 'list' }), [...MEMBERS, 'guest_admin_p', 'guest_admin_q']],
  ['partners create', requests({ action: 'partners.create' }), ADMINS],
  ['partners add-host', requests({ action: 'partners.addHost', partner: P }), ADMINS],
  ['partners show P', requests({ action: 'partners.show', partner: P }), [...MEMBERS, 'guest_admin_p', 'guest_user']],
  ['accounts add', requests({ action: 'accounts.add' }), MEMBERS],
  ['accounts list', requests({ action: 'accounts.list' }), [...MEMBERS, 'guest_admin_p', 'guest_admin_q', 'guest_user']],
  ['share with partner P', share({ action: 'share', account: ACCOUNT, partner: P }), [...ADMINS, 'host_admin']],
  ['share with a Guest User of P (user)', share({ action: 'share', account: ACCOUNT, guest: PU, role: 'user' }), [...ADMINS, 'host_admin', 'guest_admin_p']],
  ['share with a Guest User of P (manager)', share({ action: 'share', account: ACCOUNT, guest: PU, role: 'manager' }), [...ADMINS, 'host_admin']],
  ['unshare from a Guest Admin of P', share({ action: 'share', account: ACCOUNT, guest: GA, role: 'user' }), [...ADMINS, 'host_admin']],
  ['import lastpass', requests({ action: 'import' }), ADMINS],
  ['members add (role user)', (actor) => requireCanGrant(actor, 'user'), ADMINS],
  ['workspace domains add', requests({ action: 'workspace.domains' }), ADMINS],
];

describe('authorize(): the role × command table', () => {
  const cases = MATRIX.flatMap(([name, check, allowed]) => ALL.map((actor) => [name, actor, check, allowed.includes(actor)] as const));
  test.each(cases)('%s as %s', (_name, actor, check, allowed) => {
    if (allowed) expect(() => check(ACTORS[actor])).not.toThrow();
    else expect(() => check(ACTORS[actor])).toThrow(NotPermittedError);
  });

  test('a refusal says who the actor is and what would be needed, in one line', () => {
    expect(() => authorize(ACTORS.guest_admin_p, { action: 'invite', partner: R, partnerRole: 'guest_user' })).toThrow(
      /^not permitted: ga@p\.example is a Guest Admin of partner Partner P; to invite guests to partner Partner R you need the role owner, super_admin, admin or user, or to be Guest Admin of Partner R$/,
    );
    expect(() => authorize(ACTORS.unknown, { action: 'list' })).toThrow(/stranger@else\.example is not a member of this workspace/);
  });

  test('a Guest Admin never re-invites someone who is not a Guest User of their partner, whatever the target', () => {
    const ofQ = guest(20, 'q@q.example', { ...P, id: 2, name: 'Partner Q' }, 'guest_user', 'revoked');
    const ofWorkspace = guest(21, 'w@ws.example', null, null, 'pending');
    for (const existing of [ofQ, ofWorkspace, PGA]) {
      expect(() => authorize(ACTORS.guest_admin_p, { action: 'invite', partner: P, partnerRole: 'guest_user', existing })).toThrow(/is not a Guest User of Partner P/);
    }
    expect(() => authorize(ACTORS.guest_admin_p, { action: 'invite', partner: P, partnerRole: 'guest_user', existing: PU })).not.toThrow();
    // Members may move anyone.
    expect(() => authorize(ACTORS.user, { action: 'invite', partner: P, partnerRole: 'guest_user', existing: ofQ })).not.toThrow();
  });

  test('a Guest Admin shares only with the Manager role on the account, and never a role above user', () => {
    const noManager = () => undefined;
    expect(() => authorizeShare(ACTORS.guest_admin_p, { action: 'share', account: ACCOUNT, guest: PU, role: 'user' }, noManager)).toThrow(
      /you need the Manager role on Acme Social \(you have no role on it\)/,
    );
  });

  test('members add: never a role above one\'s own', () => {
    expect(() => requireCanGrant(ACTORS.admin as Actor, 'owner')).toThrow(/may not grant the higher role owner/);
    expect(() => requireCanGrant(ACTORS.super_admin as Actor, 'admin')).not.toThrow();
  });
});
