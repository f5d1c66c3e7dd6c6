import { Command } from 'commander';
import { printRecord } from '../../output/print.js';
import type { AppFactory } from '../types.js';
import { runShow } from './run.js';

export function showCommand(makeApp: AppFactory): Command {
  return new Command('show')
    .description('one guest: their invite, its emails and its history')
    .argument('<email>', "the guest's email address")
    .addHelpText('after', '\nExample:\n  $ cerby-guests show guest@partner.example --json')
    .action((email: string, _opts, command: Command) => {
      const app = makeApp(command);
      const details = runShow(email, app);
      if (app.json) {
        app.io.stdout.write(`${JSON.stringify(details, null, 2)}\n`);
        return;
      }
      printRecord(app, [
        ['email', details.email],
        ['name', [details.name, details.familyName].filter(Boolean).join(' ')],
        ['status', details.status],
        ['invited by', `${details.invitedBy} (via ${details.invitedVia}) at ${details.invitedAt}`],
        ['message', details.message],
        ['sends', details.sendCount],
        ['last sent', details.lastSentAt],
        ['expires', details.expiresAt],
        ['joined', details.joinedAt],
        ['revoked', details.revokedAt],
        ['delivery', details.delivery],
        ['password set', details.setup.passwordSet ? 'yes' : 'no'],
        ['terms accepted', details.setup.tosAccepted ? 'yes' : 'no'],
        ['mfa', details.setup.mfa ? 'on' : 'off'],
        ['client apps', details.setup.apps === null ? 'not recorded' : details.setup.apps.join(', ') || 'none'],
        ['trusted devices', details.setup.trustedDevices.join(', ') || 'none'],
        ['setup', details.setup.complete ? 'complete' : 'incomplete'],
      ]);
      app.io.stdout.write('\nemails:\n');
      for (const m of details.messages) {
        app.io.stdout.write(`  #${m.sendNumber} ${m.state} ${m.sentAt ?? ''} ${m.messageId}${m.lastError ? ` — ${m.lastError}` : ''}\n`);
      }
      app.io.stdout.write('\nhistory:\n');
      for (const h of details.history) {
        app.io.stdout.write(`  ${h.at}  ${h.action.padEnd(10)} by ${h.actor}${h.detail ? `  ${JSON.stringify(h.detail)}` : ''}\n`);
      }
    });
}
