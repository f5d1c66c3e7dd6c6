import { UsageError } from '../../errors.js';
import type { Factory } from '../../factory.js';
import { authorize } from '../../permissions.js';
import { ok, type Result } from '../../result.js';
import { openSession } from '../../session.js';
import type { AccountWithShares, GuestAccess } from '../../store/accounts.js';
import type { Account } from '../../store/types.js';
import { iso } from '../../time.js';
import { nameProblem } from '../../validate.js';

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
export async function runAccountsAdd(opts: { name: string; url?: string }, f: Factory): Promise<Result<Account>> {
  const name = opts.name.trim();
  if (!name) throw new UsageError('the account name is empty');
  const problem = nameProblem(name, 'account name');
  if (problem) throw new UsageError(`invalid account name: ${problem}`);
  const url = validateUrl(opts.url);
  const { store, actor } = await openSession(f);
  authorize(actor, { action: 'accounts.add' });
  if (await store.accounts.find(name)) throw new UsageError(`an account named ${JSON.stringify(name)} exists already`);
  const at = iso(f.now());
  const id = await store.write(async (tx) => {
    const id = await tx.accounts.insert(name, url, actor.email, at);
    await tx.audit.record({ at, actor: actor.email, action: 'account.add', target: `account:${name.toLowerCase()}`, detail: { url } });
    return id;
  });
  return ok({ id, name, url, createdBy: actor.email, createdAt: at });
}

export type AccountListing = { kind: 'workspace'; accounts: AccountWithShares[] } | { kind: 'guest'; guest: string; access: GuestAccess[] };

/** Members see every account and its shares; a guest (with --as) sees exactly what they can access. */
export async function runAccountsList(_opts: object, f: Factory): Promise<Result<AccountListing>> {
  const { store, actor } = await openSession(f);
  authorize(actor, { action: 'accounts.list' });
  if (actor.guest) return ok({ kind: 'guest', guest: actor.email, access: await store.accounts.guestAccess(actor.guest.id) });
  return ok({ kind: 'workspace', accounts: await store.accounts.list() });
}
