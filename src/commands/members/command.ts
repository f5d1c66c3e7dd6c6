import { Command } from '@commander-js/extra-typings';
import type { Factory } from '../../factory.js';
import { present } from '../../output/present.js';
import { runMembersAdd, runMembersList } from './run.js';

const RUN = { add: runMembersAdd, list: runMembersList };

export function newCmdMembers(f: Factory, runF: Partial<typeof RUN> = {}) {
  const run = { ...RUN, ...runF };
  const members = new Command('members')
    .description('manage who may invite guests')
    .addHelpText('after', '\nExamples:\n  $ cerby-guests members add admin@acme.example --role admin\n  $ cerby-guests members list');
  members
    .command('add')
    .description('add a workspace member, or change their role')
    .argument('<email>', "the member's email address")
    .requiredOption('--role <role>', 'owner, super_admin, admin or user')
    .addHelpText('after', '\nExample:\n  $ cerby-guests members add admin@acme.example --role admin')
    .action((email, flags) =>
      present(f, run.add({ email, role: flags.role }, f), {
        report: (result, r) =>
          result.change === 'unchanged'
            ? r.info(`${result.email} is already ${result.role}; nothing changed`)
            : r.success(`${result.change === 'added' ? 'Added' : 'Changed'} ${result.email} as ${result.role}`),
      }),
    );
  members
    .command('list')
    .description('list workspace members and their roles')
    .addHelpText('after', '\nExample:\n  $ cerby-guests members list --json')
    .action(() =>
      present(f, run.list({}, f), {
        print: (rows, out) =>
          out.rows(rows, [
            { key: 'email', header: 'EMAIL' },
            { key: 'role', header: 'ROLE' },
            { key: 'addedBy', header: 'ADDED BY' },
            { key: 'createdAt', header: 'SINCE', time: true },
          ]),
      }),
    );
  return members;
}
