import { Command } from '@commander-js/extra-typings';
import type { Factory } from '../../factory.js';
import { present, type View } from '../../output/present.js';
import { runShow, type GuestDetails } from './run.js';

const showView: View<GuestDetails> = {
  print(details, out) {
    const lastSent = details.messages
      .map((m) => m.sentAt)
      .filter((at): at is string => at !== null)
      .sort()
      .at(-1);
    out.record([
      ['email', details.email],
      ['name', [details.name, details.familyName].filter(Boolean).join(' ')],
      ['status', details.status],
      ['invited by', `${details.invitedBy} (via ${details.invitedVia}), ${out.time(details.invitedAt)}`],
      ['message', details.message],
      ['sends', details.sendCount],
      // Sent means handed to the server (or written): a queued or failed email was never sent.
      ['last sent', lastSent ? out.time(lastSent) : `never (${details.delivery})`],
      ['expires', out.time(details.expiresAt)],
      ['joined', out.time(details.joinedAt)],
      ['revoked', out.time(details.revokedAt)],
      ['delivery', details.delivery],
      ['password set', details.setup.passwordSet ? 'yes' : 'no'],
      ['terms accepted', details.setup.tosAccepted ? 'yes' : 'no'],
      ['mfa', details.setup.mfa ? 'on' : 'off'],
      ['client apps', details.setup.apps === null ? 'not recorded' : details.setup.apps.join(', ') || 'none'],
      ['trusted devices', details.setup.trustedDevices.join(', ') || 'none'],
      ['setup', details.setup.complete ? 'complete' : 'incomplete'],
      ['sign-in', details.signIn.lockedAt ? `locked since ${out.time(details.signIn.lockedAt)} (${details.signIn.failures} failed sign-ins)` : `not locked (${details.signIn.failures} failed sign-ins)`],
    ]);
    out.line('\nemails:');
    for (const m of details.messages) out.line(`  #${m.sendNumber} ${m.state} ${out.time(m.sentAt)} ${m.messageId}${m.lastError ? ` — ${m.lastError}` : ''}`);
    out.line('\nhistory:');
    for (const h of details.history) out.line(`  ${out.time(h.at)}  ${h.action.padEnd(18)} by ${h.actor}${h.detail ? `  ${JSON.stringify(h.detail)}` : ''}`);
  },
};

export function newCmdShow(f: Factory, runF = runShow) {
  return new Command('show')
    .description('one guest: their invite, its emails and its history')
    .argument('<email>', "the guest's email address")
    .addHelpText('after', '\nExample:\n  $ cerby-guests show guest@partner.example --json')
    .action((email) => present(f, runF({ email }, f), showView));
}
