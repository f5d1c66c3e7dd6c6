import { UsageError } from '../errors.js';
import type { Store } from '../store/store.js';
import type { Account } from '../store/types.js';

/** An account named on the command line (shared by accounts and share). */
export async function requireAccount(store: Store, name: string): Promise<Account> {
  const account = await store.accounts.find(name);
  if (!account) throw new UsageError(`no account ${JSON.stringify(name.slice(0, 80))}: add it with \`cerby-guests accounts add NAME\``);
  return account;
}
