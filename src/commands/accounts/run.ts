import type { App } from '../../app.js';
import { UsageError } from '../../errors.js';
import { authorize, authorizeShare } from '../../permissions.js';
import type { AccountWithShares, GuestAccess } from '../../store/accounts.js';
import { ACCOUNT_ROLES, type Account, type AccountRole } from '../../store/types.js';
import { iso } from '../../time.js';
import { emailInput, emailKey, nameProblem, requireEmail } from '../../validate.js';
import { requirePartner } from '../partners/run.js';

export function requireAccount(app: App, name: string): Account {
  const account = app.store().accounts.find(name);
  if (!account) throw new UsageError(`no account ${JSON.stringify(name.slice(0, 80))}: add it with \`cerby-guests accounts add NAME\``);
  return account;
}

function validateUrl(text: string | undefined): string | null {
  if (text === undefined) return null;
  try {
    const url = new URL(text);
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error('scheme');
    if (url.username || url.password) throw new UsageError('invalid --url: it must not contain a user or password (no secrets are stored)');
    return url.toString();
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(`invalid --url ${JSON.stringify(text.slice(0, 80))}: expected https://…`);
  }
}

/** A shared item such as a social-media login. Only its name and URL: never a secret. */
export function runAccountsAdd(nameArg: string, urlArg: string | undefined, app: App): Account {
  const name = nameArg.trim();
  if (!name) throw new UsageError('the account name is empty');
  const problem = nameProblem(name, 'account name');
  if (problem) throw new UsageError(`invalid account name: ${problem}`);
  const url = validateUrl(urlArg);
  const store = app.store();
  app.workspace();
  const actor = app.actor();
  authorize(actor, { action: 'accounts.add' });
  if (store.accounts.find(name)) throw new UsageError(`an account named ${JSON.stringify(name)} exists already`);
  const at = iso(app.now());
  const id = store.write(() => {
    const id = store.accounts.insert(name, url, actor.email, at);
    store.audit.record({ at, actor: actor.email, action: 'account.add', target: `account:${name.toLowerCase()}`, detail: { url } });
    return id;
  });
  return { id, name, url, createdBy: actor.email, createdAt: at };
}

export type AccountListing = { kind: 'workspace'; accounts: AccountWithShares[] } | { kind: 'guest'; guest: string; access: GuestAccess[] };

/** Members see every account and its shares; a guest (with --as) sees exactly what they can access. */
export function runAccountsList(app: App): AccountListing {
  const store = app.store();
  app.workspace();
  const actor = app.actor();
  authorize(actor, { action: 'accounts.list' });
  if (actor.guest) return { kind: 'guest', guest: actor.email, access: store.accounts.guestAccess(actor.guest.id) };
  return { kind: 'workspace', accounts: store.accounts.list() };
}

export interface ShareOptions {
  partner?: string;
  guest?: string;
  role?: string;
}

function parseAccountRole(text: string | undefined): AccountRole {
  if (text === undefined) return 'user';
  if ((ACCOUNT_ROLES as readonly string[]).includes(text)) return text as AccountRole;
  throw new UsageError(`unknown --role ${JSON.stringify(text.slice(0, 40))}: use manager or user`);
}

export interface ShareResult {
  account: string;
  to: string;
  role: AccountRole;
  change: 'added' | 'updated' | 'unchanged' | 'removed' | 'absent';
  /** Shares with a guest who has not joined take effect when they join. */
  effective: boolean;
}

function shareTarget(app: App, options: ShareOptions) {
  if ((options.partner === undefined) === (options.guest === undefined)) throw new UsageError('give exactly one of --partner NAME or --guest EMAIL');
  if (options.partner !== undefined) {
    if (options.role !== undefined) throw new UsageError('--role goes with --guest: a partner gets the user role');
    return { partner: requirePartner(app, options.partner) };
  }
  const email = requireEmail(emailInput(options.guest!), '--guest address');
  const guest = app.store().guests.find(emailKey(email));
  if (!guest) throw new UsageError(`no guest ${email}: invite them first`);
  if (guest.status === 'revoked') throw new UsageError(`the invite of ${guest.email} was revoked`);
  return { guest };
}

export function runShare(accountName: string, options: ShareOptions, app: App): ShareResult {
  const store = app.store();
  app.workspace();
  const account = requireAccount(app, accountName);
  const target = shareTarget(app, options);
  const role = parseAccountRole(options.role);
  const actor = app.actor();
  if (target.partner) authorizeShare(store, actor, { action: 'share', account, partner: target.partner });
  else authorizeShare(store, actor, { action: 'share', account, guest: target.guest!, role });
  const at = iso(app.now());
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
  return {
    account: account.name,
    to: target.partner ? `partner ${target.partner.name}` : target.guest!.email,
    role: target.partner ? 'user' : role,
    change,
    effective: target.partner ? true : target.guest!.status === 'joined',
  };
}

export function runUnshare(accountName: string, options: ShareOptions, app: App): ShareResult {
  const store = app.store();
  app.workspace();
  const account = requireAccount(app, accountName);
  const target = shareTarget(app, { ...options, role: undefined });
  const actor = app.actor();
  // Removing access takes the same right as granting it.
  if (target.partner) authorizeShare(store, actor, { action: 'share', account, partner: target.partner });
  else authorizeShare(store, actor, { action: 'share', account, guest: target.guest!, role: 'user' });
  const at = iso(app.now());
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
  return {
    account: account.name,
    to: target.partner ? `partner ${target.partner.name}` : target.guest!.email,
    role: 'user',
    change: removed ? 'removed' : 'absent',
    effective: true,
  };
}
