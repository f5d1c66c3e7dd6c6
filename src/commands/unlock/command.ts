import { Command } from '@commander-js/extra-typings';
import type { Factory } from '../../factory.js';
import { present } from '../../output/present.js';
import { runUnlock } from './run.js';

export function newCmdUnlock(f: Factory, runF = runUnlock) {
  return new Command('unlock')
    .description('lift the lock that 5 failed sign-ins put on a guest')
    .argument('<email>', "the guest's email address")
    .addHelpText('after', '\nExample:\n  $ cerby-guests unlock ada@partner.example')
    .action((email) =>
      present(f, runF({ email }, f), {
        report: (result, r) => (result.unlocked ? r.success(`Unlocked ${result.email}: they can sign in again`) : r.info(`${result.email} was not locked`)),
      }),
    );
}
