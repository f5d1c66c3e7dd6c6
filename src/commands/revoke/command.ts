import { Command } from '@commander-js/extra-typings';
import type { Factory } from '../../factory.js';
import { present } from '../../output/present.js';
import { addressRunView } from '../../output/views/address-run.js';
import { pickGuests } from '../../guests/pick.js';
import { runRevoke } from './run.js';

export function newCmdRevoke(f: Factory, runF = runRevoke) {
  return new Command('revoke')
    .description('cancel pending invites (their passwords stop working at once) or end a joined guest\'s access')
    .argument('[emails...]', 'guests to revoke; on a terminal, leave them out to pick from a list')
    .option('--dry-run', 'report what would be revoked; change nothing')
    .option('-y, --yes', 'on a terminal, do not ask for confirmation')
    .addHelpText('after', '\nExamples:\n  $ cerby-guests revoke guest@partner.example\n  $ cerby-guests revoke')
    .action(async (emails, flags) => {
      if (emails.length === 0) {
        const picked = await pickGuests(f, 'revoke', { yes: flags.yes === true || flags.dryRun === true });
        if (!picked) return;
        emails = picked;
      }
      await present(f, runF({ emails, dryRun: flags.dryRun === true }, f), addressRunView);
    });
}
