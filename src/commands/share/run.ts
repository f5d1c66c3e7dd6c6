import { requireAccount } from '../../accounts/accounts.js';
import { UsageError } from '../../errors.js';
import type { Factory } from '../../factory.js';
import { requirePartner } from '../../partners/partners.js';
import { authorizeShare } from '../../permissions.js';
import { ok, type Result } from '../../result.js';
import { openSession } from '../../session.js';
import type { Store } from '../../store/store.js';
import type { AccountRole } from '../../store/types.js';
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

function shareTarget(store: Store, options: ShareOptions) {
  if ((options.partner === undefined) === (options.guest === undefined)) throw new UsageError('give exactly one of --partner NAME or --guest EMAIL');
  if (options.partner !== undefined) {
    if (options.role !== undefined) throw new UsageError('--role goes with --guest: a partner gets the user role');
    return { partner: requirePartner(store, options.partner) };
  }
  const email = requireEmail(emailInput(options.guest ?? ''), '--guest address');
  const guest = store.guests.find(emailKey(email));
  if (!guest) throw new UsageError(`no guest ${email}: invite them first`);
  if (guest.status === 'revoked') throw new UsageError(`the invite of ${guest.email} was revoked`);
  return { guest };
}

export function runShare(options: ShareOptions, f: Factory): Result<ShareResult> {
  const { store, actor } = openSession(f);
  const account = requireAccount(store, options.account);
  const target = shareTarget(store, options);
  const role = options.role ?? 'user';
  if (target.partner) authorizeShare(store, actor, { action: 'share', account, partner: target.partner });
  else authorizeShare(store, actor, { action: 'share', account, guest: target.guest!, role });
  const at = iso(f.now());
  const change = store.write(() => {
    const change = store.accounts.upsertShare({
      accountId: account.id,
      partnerId: target.partner?.id,
      guestId: target.guest?.id,
      role: target.partner ? 'user' : role,
      sharedBy: actor.email,
      at,
    });
    if (change !== 'unchanged') {
      store.audit.record({
        at,
        actor: actor.email,
        action: 'share',
        target: target.guest ? emailKey(target.guest.email) : `partner:${target.partner!.name.toLowerCase()}`,
        detail: { account: account.name, role: target.partner ? 'user' : role },
      });
    }
    return change;
  });
  return ok({
    account: account.name,
    to: target.partner ? `partner ${target.partner.name}` : target.guest!.email,
    role: target.partner ? 'user' : role,
    change,
    effective: target.partner ? true : target.guest!.status === 'joined',
  });
}

export function runUnshare(options: ShareOptions, f: Factory): Result<ShareResult> {
  const { store, actor } = openSession(f);
  const account = requireAccount(store, options.account);
  const target = shareTarget(store, { ...options, role: undefined });
  // Removing access takes the same right as granting it.
  if (target.partner) authorizeShare(store, actor, { action: 'share', account, partner: target.partner });
  else authorizeShare(store, actor, { action: 'share', account, guest: target.guest!, role: 'user' });
  const at = iso(f.now());
  const removed = store.write(() => {
    const removed = store.accounts.removeShare(account.id, { partnerId: target.partner?.id, guestId: target.guest?.id });
    if (removed) {
      store.audit.record({
        at,
        actor: actor.email,
        action: 'unshare',
        target: target.guest ? emailKey(target.guest.email) : `partner:${target.partner!.name.toLowerCase()}`,
        detail: { account: account.name },
      });
    }
    return removed;
  });
  return ok({
    account: account.name,
    to: target.partner ? `partner ${target.partner.name}` : target.guest!.email,
    role: 'user',
    change: removed ? 'removed' : 'absent',
    effective: true,
  });
}
