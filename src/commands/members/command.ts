import { Command } from 'commander';
import { outputFormat, printRows } from '../../output/print.js';
import type { Member } from '../../store/types.js';
import type { AppFactory } from '../types.js';
import { runMembersAdd, runMembersList } from './run.js';

export function membersCommand(makeApp: AppFactory): Command {
  const members = new Command('members').description('manage who may invite guests');
  members
    .command('add')
    .description('add a workspace member, or change their role')
    .argument('<email>', 'the member\'s email address')
    .requiredOption('--role <role>', 'owner, super_admin, admin or user')
    .addHelpText('after', '\nExample:\n  $ cerby-guests members add admin@acme.example --role admin')
    .action((email: string, opts: { role: string }, command: Command) => {
      const app = makeApp(command);
      const result = runMembersAdd(email, opts.role, app);
      if (app.json) app.io.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
      if (result.change === 'unchanged') app.info(`${result.email} is already ${result.role}; nothing changed`);
      else app.success(`${result.change === 'added' ? 'Added' : 'Changed'} ${result.email} as ${result.role}`);
    });
  members
    .command('list')
    .description('list workspace members and their roles')
    .action((_opts, command: Command) => {
      const app = makeApp(command);
      const rows = runMembersList(app);
      printRows<Member>(
        app,
        rows,
        [
          { key: 'email', header: 'EMAIL' },
          { key: 'role', header: 'ROLE' },
          { key: 'addedBy', header: 'ADDED BY' },
          { key: 'createdAt', header: 'SINCE' },
        ],
        outputFormat(app),
      );
    });
  return members;
}
