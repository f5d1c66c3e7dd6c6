import { Command } from 'commander';
import { outputFormat, printRecord, printRows } from '../../output/print.js';
import type { AppFactory } from '../types.js';
import { runPartnersAddHost, runPartnersCreate, runPartnersList, runPartnersShow } from './run.js';

export function partnersCommand(makeApp: AppFactory): Command {
  const partners = new Command('partners').description('local partners: external organisations whose guests share accounts');
  partners
    .command('create')
    .description('create a local partner; you become its Host Admin')
    .argument('<name>')
    .addHelpText('after', '\nExample:\n  $ cerby-guests partners create "Northwind Agency"')
    .action((name: string, _opts, command: Command) => {
      const app = makeApp(command);
      const partner = runPartnersCreate(name, app);
      if (app.json) app.io.stdout.write(`${JSON.stringify(partner, null, 2)}\n`);
      app.success(`Created partner ${partner.name}; Host Admin: ${partner.createdBy}`);
    });
  partners
    .command('add-host')
    .description('make a workspace member a Host Admin of the partner')
    .argument('<name>')
    .argument('<email>')
    .action((name: string, email: string, _opts, command: Command) => {
      const app = makeApp(command);
      const result = runPartnersAddHost(name, email, app);
      if (app.json) app.io.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
      if (result.added) app.success(`${result.host} is now a Host Admin of ${result.partner}`);
      else app.info(`${result.host} is already a Host Admin of ${result.partner}`);
    });
  partners
    .command('list')
    .description('partners with their numbers of Host Admins, guests and shared accounts')
    .action((_opts, command: Command) => {
      const app = makeApp(command);
      printRows(
        app,
        runPartnersList(app),
        [
          { key: 'name', header: 'NAME' },
          { key: 'hosts', header: 'HOST ADMINS' },
          { key: 'guests', header: 'GUESTS' },
          { key: 'accounts', header: 'ACCOUNTS' },
          { key: 'createdBy', header: 'CREATED BY' },
        ],
        outputFormat(app),
      );
    });
  partners
    .command('show')
    .description('a partner: its members by partner role and the accounts shared with it')
    .argument('<name>')
    .action((name: string, _opts, command: Command) => {
      const app = makeApp(command);
      const details = runPartnersShow(name, app);
      if (app.json) {
        app.io.stdout.write(`${JSON.stringify(details, null, 2)}\n`);
        return;
      }
      printRecord(app, [
        ['partner', details.name],
        ['host admins', details.hostAdmins.join(', ')],
        ['guest admins', details.guestAdmins.map((g) => `${g.email} (${g.status})`).join(', ')],
        ['guest users', details.guestUsers.map((g) => `${g.email} (${g.status})`).join(', ')],
        ['accounts', details.accounts.map((a) => a.account).join(', ')],
      ]);
    });
  return partners;
}
