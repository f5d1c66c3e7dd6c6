import { Command } from 'commander';
import { runShare, runUnshare, type ShareResult } from '../accounts/run.js';
import type { AppFactory } from '../types.js';

function report(app: ReturnType<AppFactory>, result: ShareResult): void {
  if (app.json) app.io.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  const verb = { added: 'Shared', updated: 'Changed the role on', unchanged: 'Already shared', removed: 'Removed access to', absent: 'Nothing to remove on' }[result.change];
  const tail = result.change === 'removed' || result.change === 'absent' ? ` for ${result.to}` : ` with ${result.to} as ${result.role}`;
  app.success(`${verb} ${result.account}${tail}${result.effective ? '' : ' (takes effect when they join)'}`);
}

export function shareCommand(makeApp: AppFactory): Command {
  return new Command('share')
    .description('share an account with a local partner (Host Admin) or a guest (with a role)')
    .argument('<account>')
    .option('--partner <name>', 'every member of this partner gets the user role')
    .option('--guest <email>', 'one guest')
    .option('--role <role>', 'with --guest: manager or user (default user)')
    .addHelpText('after', '\nExamples:\n  $ cerby-guests share "Acme on Social" --partner "Northwind Agency"\n  $ cerby-guests share "Acme on Social" --guest lead@agency.example --role manager')
    .action((account: string, opts, command: Command) => {
      const app = makeApp(command);
      report(app, runShare(account, opts, app));
    });
}

export function unshareCommand(makeApp: AppFactory): Command {
  return new Command('unshare')
    .description('remove a partner\'s or a guest\'s access to an account')
    .argument('<account>')
    .option('--partner <name>')
    .option('--guest <email>')
    .action((account: string, opts, command: Command) => {
      const app = makeApp(command);
      report(app, runUnshare(account, opts, app));
    });
}
