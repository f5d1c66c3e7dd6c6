import { Command } from '@commander-js/extra-typings';
import type { Factory } from '../../factory.js';
import { present } from '../../output/present.js';
import { runAccountsAdd, runAccountsList } from './run.js';

const RUN = { add: runAccountsAdd, list: runAccountsList };

export function newCmdAccounts(f: Factory, runF: Partial<typeof RUN> = {}) {
  const run = { ...RUN, ...runF };
  const accounts = new Command('accounts')
    .description('shared accounts (names and URLs only: no secrets are stored)')
    .addHelpText('after', '\nExamples:\n  $ cerby-guests accounts add "Acme on Social" --url https://social.example/acme\n  $ cerby-guests accounts list');
  accounts
    .command('add')
    .description('add an account that can be shared with partners and guests')
    .argument('<name>', "the account's name, as people know it")
    .option('--url <url>', 'where the account lives, e.g. https://social.example/acme')
    .addHelpText('after', '\nExample:\n  $ cerby-guests accounts add "Acme on Social" --url https://social.example/acme')
    .action((name, flags) => present(f, run.add({ name, url: flags.url }, f), { report: (account, r) => r.success(`Added account ${account.name}`) }));
  accounts
    .command('list')
    .description('every account and who it is shared with; with --as GUEST, exactly what that guest can access')
    .addHelpText('after', '\nExamples:\n  $ cerby-guests accounts list\n  $ cerby-guests accounts list --as guest@partner.example')
    .action(() =>
      present(f, run.list({}, f), {
        json: (listing) => (listing.kind === 'guest' ? listing.access : listing.accounts),
        print: (listing, out) => {
          if (listing.kind === 'guest') {
            out.rows(listing.access, [
              { key: 'account', header: 'ACCOUNT' },
              { key: 'role', header: 'ROLE' },
              { key: 'via', header: 'VIA' },
              { key: 'url', header: 'URL' },
            ], { empty: 'nothing is shared with this guest yet: see `share --help`' });
            return;
          }
          const rows = listing.accounts.map((a) => ({
            name: a.name,
            url: a.url,
            sharedWith: a.shares.map((s) => `${s.to} (${s.role})`).join(', '),
            createdBy: a.createdBy,
          }));
          out.rows(rows, [
            { key: 'name', header: 'ACCOUNT' },
            { key: 'sharedWith', header: 'SHARED WITH' },
            { key: 'url', header: 'URL' },
            { key: 'createdBy', header: 'ADDED BY' },
          ], { empty: `no accounts yet: add one with \`${f.hint('accounts add NAME --url URL')}\`` });
        },
      }),
    );
  return accounts;
}
