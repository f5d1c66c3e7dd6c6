import { addresses } from '../../cli/args.js';
import type { Store } from '../../store/store.js';
import type { Factory } from '../../factory.js';
import { countOutcomes, type AddressResult, type RunReport } from '../../invites/outcome.js';
import { runResult } from '../../output/views/address-run.js';
import { authorize } from '../../permissions.js';
import type { Result } from '../../result.js';
import { openSession } from '../../session.js';
import { iso } from '../../time.js';
import { emailKey } from '../../validate.js';

export interface RevokeOptions {
  emails: string[];
  dryRun: boolean;
}

/**
 * Revokes guests (SPEC §2): a pending invite's temporary password stops working at once and
 * none of its emails starts after this returns; a joined guest loses access and their trusted
 * devices. Emails already in their SMTP transaction are reported, not hidden.
 */
export async function runRevoke(options: RevokeOptions, f: Factory): Promise<Result<RunReport>> {
  const emails = addresses(options.emails);
  const { store, actor } = await openSession(f);
  authorize(actor, { action: 'list' });
  const at = iso(f.now());
  const results: AddressResult[] = [];
  const record = async (tx: Store) => {
    // Every target is checked before anything changes: a refusal changes nothing.
    for (const email of emails) {
      const guest = await tx.guests.find(emailKey(email));
      if (guest) authorize(actor, { action: 'manageGuest', verb: 'revoke', target: guest });
    }
    for (const email of emails) {
      const guest = await tx.guests.find(emailKey(email));
      if (!guest) {
        results.push({ email, outcome: 'failed', reason: 'no invite for this address' });
      } else if (guest.status === 'revoked') {
        results.push({ email: guest.email, outcome: 'skipped', reason: 'already revoked' });
      } else if (options.dryRun) {
        results.push({ email: guest.email, outcome: 'would-revoke', reason: guest.status === 'joined' ? 'has joined: their access ends' : undefined });
      } else {
        const revoked = await tx.guests.revoke(guest, { now: at, actor: actor.email });
        if (!revoked.applied) {
          results.push({ email: guest.email, outcome: 'failed', reason: 'it changed while this ran: run the command again', notDone: true });
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
  if (options.dryRun) await record(store);
  else await store.write(record);
  return runResult({ dryRun: options.dryRun, results, counts: countOutcomes(results) }, f);
}
