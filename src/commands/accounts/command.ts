import { Command } from 'commander';
import { outputFormat, printRows } from '../../output/print.js';
import type { AppFactory } from '../types.js';
import { runAccountsAdd, runAccountsList } from './run.js';

export function accountsCommand(makeApp: AppFactory): Command {
  const accounts = new Command('accounts').description('shared accounts (names and URLs only: no secrets are stored)');
  accounts
    .command('add')
    .description('add an account that can be shared with partners and guests')
    .argument('<name>')
    .option('--url <url>', 'where the account lives, e.g. https://social.example/acme')
    .addHelpText('after', '\nExample:\n  $ cerby-guests accounts add "Acme on Social" --url https://social.example/acme')
    .action((name: string, opts: { url?: string }, command: Command) => {
      const app = makeApp(command);
      const account = runAccountsAdd(name, opts.url, app);
      if (app.json) app.io.stdout.write(`${JSON.stringify(account, null, 2)}\n`);
      app.success(`Added account ${account.name}`);
    });
  accounts
    .command('list')
    .description('every account and who it is shared with; with --as GUEST, exactly what that guest can access')
    .addHelpText('after', '\nExamples:\n  $ cerby-guests accounts list\n  $ cerby-guests accounts list --as guest@partner.example')
    .action((_opts, command: Command) => {
      const app = makeApp(command);
      const listing = runAccountsList(app);
      if (app.json) {
        app.io.stdout.write(`${JSON.stringify(listing.kind === 'guest' ? listing.access : listing.accounts, null, 2)}\n`);
        return;
      }
      if (listing.kind === 'guest') {
        printRows(app, listing.access, [
          { key: 'account', header: 'ACCOUNT' },
          { key: 'role', header: 'ROLE' },
          { key: 'via', header: 'VIA' },
          { key: 'url', header: 'URL' },
        ], outputFormat(app));
        return;
      }
      const rows = listing.accounts.map((a) => ({
        name: a.name,
        url: a.url,
        sharedWith: a.shares.map((s) => `${s.to} (${s.role})`).join(', '),
        createdBy: a.createdBy,
      }));
      printRows(app, rows, [
        { key: 'name', header: 'ACCOUNT' },
        { key: 'sharedWith', header: 'SHARED WITH' },
        { key: 'url', header: 'URL' },
        { key: 'createdBy', header: 'ADDED BY' },
      ], outputFormat(app));
    });
  return accounts;
}
