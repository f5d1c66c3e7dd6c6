import { requireAccount } from '../../accounts/accounts.js';
import { UsageError } from '../../errors.js';
import type { Factory } from '../../factory.js';
import { requirePartner } from '../../partners/partners.js';
import { authorizeShare, type Actor } from '../../permissions.js';
import { ok, type Result } from '../../result.js';
import { openSession } from '../../session.js';
import type { Store } from '../../store/store.js';
import type { Account, AccountRole, Guest, Partner } from '../../store/types.js';
import { iso } from '../../time.js';
import { emailInput, emailKey, requireEmail } from '../../validate.js';

export interface ShareOptions {
  account: string;
  partner?: string;
  guest?: string;
  role?: AccountRole;
}

export interface ShareResult {
  account: string;
  to: string;
  role: AccountRole;
  change: 'added' | 'updated' | 'unchanged' | 'removed' | 'absent';
  /** Shares with a guest who has not joined take effect when they join. */
  effective: boolean;
}

/** Who an account is shared with: a partner (every member, role user) or one guest. */
type Target = { kind: 'partner'; partner: Partner } | { kind: 'guest'; guest: Guest };

async function shareTarget(store: Store, options: ShareOptions): Promise<Target> {
  if ((options.partner === undefined) === (options.guest === undefined)) throw new UsageError('give exactly one of --partner NAME or --guest EMAIL');
  if (options.partner !== undefined) {
    if (options.role !== undefined) throw new UsageError('--role goes with --guest: a partner gets the user role');
    return { kind: 'partner', partner: await requirePartner(store, options.partner) };
  }
  const email = requireEmail(emailInput(options.guest ?? ''), '--guest address');
  const guest = await store.guests.find(emailKey(email));
  if (!guest) throw new UsageError(`no guest ${email}: invite them first`);
  if (guest.status === 'revoked') throw new UsageError(`the invite of ${guest.email} was revoked`);
  return { kind: 'guest', guest };
}

const auditTarget = (t: Target) => (t.kind === 'guest' ? emailKey(t.guest.email) : `partner:${t.partner.name.toLowerCase()}`);
const shownTarget = (t: Target) => (t.kind === 'guest' ? t.guest.email : `partner ${t.partner.name}`);
/** Removing access takes the same right as granting it. */
async function authorizeTarget(store: Store, actor: Actor, account: Account, target: Target, role: AccountRole): Promise<void> {
  // A guest's own role on the account (a Guest Admin shares only what they manage).
  const actorsRole = actor.guest ? await store.accounts.guestRole(actor.guest.id, account.id) : undefined;
  const roleOnAccount = () => actorsRole;
  if (target.kind === 'partner') authorizeShare(actor, { action: 'share', account, partner: target.partner }, roleOnAccount);
  else authorizeShare(actor, { action: 'share', account, guest: target.guest, role }, roleOnAccount);
}

export async function runShare(options: ShareOptions, f: Factory): Promise<Result<ShareResult>> {
  const { store, actor } = await openSession(f);
  const account = await requireAccount(store, options.account);
  const target = await shareTarget(store, options);
  const role = target.kind === 'partner' ? 'user' : (options.role ?? 'user');
  await authorizeTarget(store, actor, account, target, role);
  const at = iso(f.now());
  const change = await store.write(async (tx) => {
    const change = await tx.accounts.upsertShare({
      accountId: account.id,
      partnerId: target.kind === 'partner' ? target.partner.id : undefined,
      guestId: target.kind === 'guest' ? target.guest.id : undefined,
      role,
      sharedBy: actor.email,
      at,
    });
    if (change !== 'unchanged') {
      await tx.audit.record({ at, actor: actor.email, action: 'share', target: auditTarget(target), detail: { account: account.name, role } });
    }
    return change;
  });
  return ok({
    account: account.name,
    to: shownTarget(target),
    role,
    change,
    effective: target.kind === 'partner' || target.guest.status === 'joined',
  });
}

export async function runUnshare(options: ShareOptions, f: Factory): Promise<Result<ShareResult>> {
  const { store, actor } = await openSession(f);
  const account = await requireAccount(store, options.account);
  const target = await shareTarget(store, { ...options, role: undefined });
  await authorizeTarget(store, actor, account, target, 'user');
  const at = iso(f.now());
  const removed = await store.write(async (tx) => {
    const removed = await tx.accounts.removeShare(account.id, {
      partnerId: target.kind === 'partner' ? target.partner.id : undefined,
      guestId: target.kind === 'guest' ? target.guest.id : undefined,
    });
    if (removed) await tx.audit.record({ at, actor: actor.email, action: 'unshare', target: auditTarget(target), detail: { account: account.name } });
    return removed;
  });
  return ok({ account: account.name, to: shownTarget(target), role: 'user', change: removed ? 'removed' : 'absent', effective: true });
}
