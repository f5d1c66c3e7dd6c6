import { UsageError } from '../errors.js';
import type { Store } from '../store/store.js';
import type { Partner } from '../store/types.js';
import { nameProblem } from '../validate.js';

/** A partner named on the command line (shared by partners, accounts, share, invite). */
export async function requirePartner(store: Store, name: string): Promise<Partner> {
  const partner = await store.partners.find(name);
  if (!partner) throw new UsageError(`no partner ${JSON.stringify(name.slice(0, 80))}: create it with \`cerby-guests partners create NAME\``);
  return partner;
}

export function validatePartnerName(text: string): string {
  const name = text.trim();
  if (!name) throw new UsageError('the partner name is empty');
  const problem = nameProblem(name, 'partner name');
  if (problem) throw new UsageError(`invalid partner name: ${problem}`);
  return name;
}
