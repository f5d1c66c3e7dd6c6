import type { App } from '../../app.js';
import { countOutcomes, type AddressResult, type RunReport } from '../../invites/outcome.js';
import { authorize } from '../../permissions.js';
import { iso } from '../../time.js';
import { emailKey } from '../../validate.js';
import { validateAddresses } from '../invite/run.js';

/** Cancels pending invites: their temporary passwords stop working at once, queued emails are not sent. */
export function runRevoke(options: { emails: string[]; dryRun?: boolean }, app: App): RunReport {
  const emails = validateAddresses(options.emails);
  const store = app.store();
  app.workspace();
  const actor = app.actor();
  authorize(actor, { action: 'list' });
  const at = iso(app.now());
  const results: AddressResult[] = [];
  const record = () => {
    // Every target is checked before anything changes: a refusal changes nothing.
    for (const email of emails) {
      const guest = store.findGuest(emailKey(email));
      if (guest) authorize(actor, { action: 'manageGuest', verb: 'revoke', target: guest });
    }
    for (const email of emails) {
      const guest = store.findGuest(emailKey(email));
      if (!guest) {
        results.push({ email, outcome: 'failed', reason: 'no invite for this address' });
      } else if (guest.status === 'joined') {
        results.push({ email: guest.email, outcome: 'failed', reason: 'has already joined; revoke cancels pending invites only' });
      } else if (guest.status === 'revoked') {
        results.push({ email: guest.email, outcome: 'skipped', reason: 'already revoked' });
      } else if (options.dryRun) {
        results.push({ email: guest.email, outcome: 'would-revoke' });
      } else {
        store.revokeGuest(guest.id, at);
        const cancelled = store.cancelQueuedMessages(guest.id, 'not sent: the invite was revoked');
        store.audit({ at, actor: actor.email, action: 'revoke', target: emailKey(guest.email), detail: { cancelledMessages: cancelled } });
        results.push({ email: guest.email, outcome: 'revoked' });
      }
    }
  };
  if (options.dryRun) record();
  else store.write(record);
  return { dryRun: options.dryRun === true, results, counts: countOutcomes(results) };
}
