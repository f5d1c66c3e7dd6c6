import { Command } from 'commander';
import { reportResults } from '../../invites/outcome.js';
import type { AppFactory } from '../types.js';
import { runResend } from './run.js';

export function resendCommand(makeApp: AppFactory): Command {
  return new Command('resend')
    .description('send a new invite: new temporary password, the old one stops working, the lifetime starts again')
    .argument('[emails...]', 'guests to resend to')
    .option('--all-pending', 'every guest who has not joined (and is not revoked)')
    .option('--older-than <duration>', 'with --all-pending: only invites last sent before this long ago, e.g. 3d')
    .option('--dry-run', 'report what would be resent; store and send nothing')
    .addHelpText(
      'after',
      `
Examples:
  $ cerby-guests resend guest@partner.example
  $ cerby-guests resend --all-pending --older-than 3d`,
    )
    .action(async (emails: string[], opts, command: Command) => {
      const app = makeApp(command);
      const report = await runResend({ ...opts, emails }, app);
      if (opts.allPending && report.results.length === 0) app.info('no pending invites to resend');
      app.exitCode = reportResults(app, report);
    });
}
