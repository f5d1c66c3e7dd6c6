import type { App } from '../app.js';
import { UsageError } from '../errors.js';
import { authorize, type Actor } from '../permissions.js';
import type { Guest } from '../store/types.js';
import { emailInput, emailKey, requireEmail } from '../validate.js';

/** One guest named on the command line, checked against what the actor may do to them. */
export function managedGuest(app: App, emailArg: string, verb: 'show' | 'unlock'): { guest: Guest; actor: Actor } {
  const email = requireEmail(emailInput(emailArg));
  const store = app.store();
  app.workspace();
  const actor = app.actor();
  authorize(actor, { action: 'list' });
  const guest = store.guests.find(emailKey(email));
  if (!guest) throw new UsageError(`no guest ${email} in this workspace`);
  authorize(actor, { action: 'manageGuest', verb, target: guest });
  return { guest, actor };
}
