import { addresses } from '../../cli/args.js';
import { UsageError } from '../../errors.js';
import type { Store } from '../../store/store.js';
import type { Factory } from '../../factory.js';
import { countOutcomes, RunDelivery, type AddressResult, type RunReport } from '../../invites/outcome.js';
import { runResult } from '../../output/views/address-run.js';
import type { Result } from '../../result.js';
import { openSession } from '../../session.js';
import { recordInviteSend } from '../../invites/record.js';
import { authorize } from '../../permissions.js';
import type { Guest } from '../../store/types.js';
import { addSeconds, iso } from '../../time.js';
import { emailKey } from '../../validate.js';

export interface ResendOptions {
  emails: string[];
  allPending: boolean;
  /** Seconds: with allPending, only invites last sent before this long ago. */
  olderThan?: number;
  dryRun: boolean;
}

/** Why a guest's invite cannot be resent, or undefined when it can (pending or expired). */
export function resendRefusal(guest: Guest | undefined, email: string): string | undefined {
  if (!guest) return `no invite for ${email}: invite them first with \`cerby-guests invite ${email}\``;
  if (guest.status === 'joined') return 'has already joined; there is no invite to resend';
  if (guest.status === 'revoked') return `the invite was revoked; invite them again with \`cerby-guests invite ${guest.email}\``;
  return undefined;
}

/**
 * Sends a new invite: a new temporary password (the old one stops working), a new lifetime,
 * a new Message-ID. Works for expired invites too.
 */
export async function runResend(options: ResendOptions, f: Factory): Promise<Result<RunReport>> {
  if (options.allPending && options.emails.length > 0) throw new UsageError('give email addresses or --all-pending, not both');
  if (!options.allPending && options.olderThan !== undefined) throw new UsageError('--older-than goes with --all-pending');
  if (!options.allPending && options.emails.length === 0) throw new UsageError('give the addresses to resend to, or --all-pending');
  const emails = options.allPending ? [] : addresses(options.emails);
  const olderThan = options.olderThan;

  const { store, workspace, actor } = await openSession(f);
  // Members may resend any invite; a Guest Admin only their partner's Guest Users'.
  const scope = authorize(actor, { action: 'list' });
  const now = f.now();
  const results: AddressResult[] = [];
  const delivery = options.dryRun ? undefined : await RunDelivery.begin(f, workspace, options.allPending ? 4 : 1);

  const record = async (tx: Store) => {
    const targets: { email: string; guest: Guest | undefined }[] = options.allPending
      ? (await tx.guests.resendable(olderThan === undefined ? null : iso(addSeconds(now, -olderThan))))
          .filter((guest) => scope.partnerId === undefined || (guest.partnerId === scope.partnerId && guest.partnerRole === 'guest_user'))
          .map((guest) => ({ email: guest.email, guest }))
      : await Promise.all(emails.map(async (email) => ({ email, guest: await tx.guests.find(emailKey(email)) })));
    // Every target is checked before anything is recorded: a refusal changes nothing.
    for (const { guest } of targets) if (guest) authorize(actor, { action: 'manageGuest', verb: 'resend', target: guest });
    for (const { email, guest } of targets) {
      const refusal = resendRefusal(guest, email);
      if (refusal || !guest) {
        results.push({ email: guest?.email ?? email, outcome: 'failed', reason: refusal });
      } else if (options.dryRun) {
        results.push({ email: guest.email, outcome: 'would-resend' });
      } else {
        const sent = await recordInviteSend(tx, workspace, now, {
          email: guest.email,
          name: guest.name,
          familyName: guest.familyName,
          message: guest.message,
          actor: actor.email,
          invitedVia: guest.invitedVia,
          existing: guest,
          action: 'resend',
          route: delivery!.route,
        });
        if (!sent) {
          results.push({ email: guest.email, outcome: 'failed', reason: 'it changed while this ran: run the command again', notDone: true });
          continue;
        }
        const result: AddressResult = { email: guest.email, outcome: 'resent', expiresAt: sent.expiresAt };
        results.push(result);
        delivery!.track(sent, result);
      }
    }
  };
  if (options.dryRun) await record(store);
  else await store.write(record);

  await delivery?.finish();
  return runResult({ dryRun: options.dryRun, results, counts: countOutcomes(results) }, f);
}
