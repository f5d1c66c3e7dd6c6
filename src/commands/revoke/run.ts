import type { App } from '../../app.js';
import { countOutcomes, type AddressResult, type RunReport } from '../../invites/outcome.js';
import { authorize } from '../../permissions.js';
import { iso } from '../../time.js';
import { emailKey } from '../../validate.js';
import { validateAddresses } from '../invite/run.js';

/**
 * Revokes guests (SPEC §2): a pending invite's temporary password stops working at once and
 * none of its emails starts after this returns; a joined guest loses access and their trusted
 * devices. Emails already in their SMTP transaction are reported, not hidden.
 */
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
      const guest = store.guests.find(emailKey(email));
      if (guest) authorize(actor, { action: 'manageGuest', verb: 'revoke', target: guest });
    }
    for (const email of emails) {
      const guest = store.guests.find(emailKey(email));
      if (!guest) {
        results.push({ email, outcome: 'failed', reason: 'no invite for this address' });
      } else if (guest.status === 'revoked') {
        results.push({ email: guest.email, outcome: 'skipped', reason: 'already revoked' });
      } else if (options.dryRun) {
        results.push({ email: guest.email, outcome: 'would-revoke', reason: guest.status === 'joined' ? 'has joined: their access ends' : undefined });
      } else {
        const revoked = store.guests.revoke(guest, { now: at, actor: actor.email });
        if (!revoked.applied) {
          results.push({ email: guest.email, outcome: 'failed', reason: 'it changed while this ran: run the command again' });
          continue;
        }
        results.push({
          email: guest.email,
          outcome: 'revoked',
          wasJoined: guest.status === 'joined',
          onTheirWay: revoked.onTheirWay,
        });
      }
    }
  };
  if (options.dryRun) record();
  else store.write(record);
  return { dryRun: options.dryRun === true, results, counts: countOutcomes(results) };
}
