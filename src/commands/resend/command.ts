import { Command } from '@commander-js/extra-typings';
import { duration } from '../../cli/args.js';
import type { Factory } from '../../factory.js';
import { present } from '../../output/present.js';
import { addressRunView } from '../../output/views/address-run.js';
import { confirmAllPending, pickGuests } from '../../guests/pick.js';
import { runResend } from './run.js';

export function newCmdResend(f: Factory, runF = runResend) {
  return new Command('resend')
    .description('send a new invite: new temporary password, the old one stops working, the lifetime starts again')
    .argument('[emails...]', 'guests to resend to')
    .option('--all-pending', 'every guest who has not joined (and is not revoked)')
    .option('--older-than <duration>', 'with --all-pending: only invites last sent before this long ago, e.g. 3d', duration('--older-than', { max: 3650 * 86400 }))
    .option('--dry-run', 'report what would be resent; store and send nothing')
    .option('-y, --yes', 'on a terminal, do not ask for confirmation')
    .addHelpText(
      'after',
      `
On a terminal, with no address: pick the guests from a list (type to filter, space to pick),
then confirm. --all-pending asks for confirmation too, unless --yes.

Examples:
  $ cerby-guests resend guest@partner.example
  $ cerby-guests resend
  $ cerby-guests resend --all-pending --older-than 3d --yes`,
    )
    .action(async (emails, flags) => {
      const allPending = flags.allPending === true;
      const dryRun = flags.dryRun === true;
      const ask = f.prompter.interactive && !dryRun && flags.yes !== true;
      if (emails.length === 0 && !allPending) {
        const picked = await pickGuests(f, 'resend', { yes: flags.yes === true });
        if (!picked) return;
        emails = picked;
      } else if (allPending && ask) {
        // The count the web app's dialog would show: the same run, dry.
        const preview = await runF({ emails, allPending, olderThan: flags.olderThan, dryRun: true }, f);
        const count = preview.data.results.filter((r) => r.outcome === 'would-resend').length;
        if (count > 0 && !(await confirmAllPending(f, count, flags.olderThan))) return;
      }
      const result = await runF({ emails, allPending, olderThan: flags.olderThan, dryRun }, f);
      await present(f, result, {
        report(report, reporter) {
          if (flags.allPending && report.results.length === 0) reporter.info('no pending invites to resend');
          addressRunView.report?.(report, reporter);
        },
      });
    });
}
