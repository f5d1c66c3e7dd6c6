import { Command } from '@commander-js/extra-typings';
import type { Factory } from '../../factory.js';
import { present } from '../../output/present.js';
import { addressRunView } from '../../output/views/address-run.js';
import { runRevoke } from './run.js';

export function newCmdRevoke(f: Factory, runF = runRevoke) {
  return new Command('revoke')
    .description('cancel pending invites (their passwords stop working at once) or end a joined guest\'s access')
    .argument('<emails...>', 'guests to revoke')
    .option('--dry-run', 'report what would be revoked; change nothing')
    .addHelpText('after', '\nExample:\n  $ cerby-guests revoke guest@partner.example')
    .action((emails, flags) => {
      present(f, runF({ emails, dryRun: flags.dryRun === true }, f), addressRunView);
    });
}
