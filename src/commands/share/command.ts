import { Command } from '@commander-js/extra-typings';
import { oneOf } from '../../cli/args.js';
import type { Factory } from '../../factory.js';
import { present, type View } from '../../output/present.js';
import { ACCOUNT_ROLES } from '../../store/types.js';
import { runShare, runUnshare, type ShareResult } from './run.js';

const shareView: View<ShareResult> = {
  report(result, reporter) {
    const verb = { added: 'Shared', updated: 'Changed the role on', unchanged: 'Already shared', removed: 'Removed access to', absent: 'Nothing to remove on' }[result.change];
    const tail = result.change === 'removed' || result.change === 'absent' ? ` for ${result.to}` : ` with ${result.to} as ${result.role}`;
    reporter.success(`${verb} ${result.account}${tail}${result.effective ? '' : ' (takes effect when they join)'}`);
  },
};

export function newCmdShare(f: Factory, runF = runShare) {
  return new Command('share')
    .description('share an account with a local partner (Host Admin) or a guest (with a role)')
    .argument('<account>', "the account's name (see accounts list)")
    .option('--partner <name>', 'every member of this partner gets the user role')
    .option('--guest <email>', 'one guest')
    .option('--role <role>', 'with --guest: manager or user (default user)', oneOf(ACCOUNT_ROLES))
    .addHelpText('after', '\nExamples:\n  $ cerby-guests share "Acme on Social" --partner "Northwind Agency"\n  $ cerby-guests share "Acme on Social" --guest lead@agency.example --role manager')
    .action((account, flags) => present(f, runF({ account, partner: flags.partner, guest: flags.guest, role: flags.role }, f), shareView));
}

export function newCmdUnshare(f: Factory, runF = runUnshare) {
  return new Command('unshare')
    .description("remove a partner's or a guest's access to an account")
    .argument('<account>', "the account's name (see accounts list)")
    .option('--partner <name>', 'the partner whose access ends')
    .option('--guest <email>', 'the guest whose access ends')
    .addHelpText('after', '\nExample:\n  $ cerby-guests unshare "Acme on Social" --guest writer@agency.example')
    .action((account, flags) => present(f, runF({ account, partner: flags.partner, guest: flags.guest }, f), shareView));
}
