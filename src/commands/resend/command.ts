import { Command } from '@commander-js/extra-typings';
import { duration } from '../../cli/args.js';
import type { Factory } from '../../factory.js';
import { present } from '../../output/present.js';
import { addressRunView } from '../../output/views/address-run.js';
import { runResend } from './run.js';

export function newCmdResend(f: Factory, runF = runResend) {
  return new Command('resend')
    .description('send a new invite: new temporary password, the old one stops working, the lifetime starts again')
    .argument('[emails...]', 'guests to resend to')
    .option('--all-pending', 'every guest who has not joined (and is not revoked)')
    .option('--older-than <duration>', 'with --all-pending: only invites last sent before this long ago, e.g. 3d', duration('--older-than', { max: 3650 * 86400 }))
    .option('--dry-run', 'report what would be resent; store and send nothing')
    .addHelpText(
      'after',
      `
Examples:
  $ cerby-guests resend guest@partner.example
  $ cerby-guests resend --all-pending --older-than 3d`,
    )
    .action(async (emails, flags) => {
      const result = await runF({ emails, allPending: flags.allPending === true, olderThan: flags.olderThan, dryRun: flags.dryRun === true }, f);
      present(f, result, {
        report(report, reporter) {
          if (flags.allPending && report.results.length === 0) reporter.info('no pending invites to resend');
          addressRunView.report?.(report, reporter);
        },
      });
    });
}
