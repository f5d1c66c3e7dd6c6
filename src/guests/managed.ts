import { UsageError } from '../errors.js';
import type { Factory } from '../factory.js';
import { authorize, type Actor } from '../permissions.js';
import { openSession } from '../session.js';
import type { Store } from '../store/store.js';
import type { Guest } from '../store/types.js';
import { emailInput, emailKey, requireEmail } from '../validate.js';

/** One guest named on the command line, checked against what the actor may do to them (show, unlock). */
export async function managedGuest(f: Factory, emailArg: string, verb: 'show' | 'unlock'): Promise<{ store: Store; guest: Guest; actor: Actor }> {
  const email = requireEmail(emailInput(emailArg));
  const { store, actor } = await openSession(f);
  authorize(actor, { action: 'list' });
  const guest = await store.guests.find(emailKey(email));
  if (!guest) throw new UsageError(`no guest ${email} in this workspace`);
  authorize(actor, { action: 'manageGuest', verb, target: guest });
  return { store, guest, actor };
}
