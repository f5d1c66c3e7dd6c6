import { Command } from '@commander-js/extra-typings';
import type { Factory } from '../../factory.js';
import { present } from '../../output/present.js';
import { runPartnersAddHost, runPartnersCreate, runPartnersList, runPartnersShow } from './run.js';

const RUN = { create: runPartnersCreate, addHost: runPartnersAddHost, list: runPartnersList, show: runPartnersShow };

export function newCmdPartners(f: Factory, runF: Partial<typeof RUN> = {}) {
  const run = { ...RUN, ...runF };
  const partners = new Command('partners')
    .description('local partners: external organisations whose guests share accounts')
    .addHelpText('after', '\nExamples:\n  $ cerby-guests partners create "Northwind Agency"\n  $ cerby-guests partners list');
  partners
    .command('create')
    .description('create a local partner; you become its Host Admin')
    .argument('<name>', "the partner's name, e.g. the agency's")
    .addHelpText('after', '\nExample:\n  $ cerby-guests partners create "Northwind Agency"')
    .action((name) =>
      present(f, run.create({ name }, f), { report: (partner, r) => r.success(`Created partner ${partner.name}; Host Admin: ${partner.createdBy}`) }),
    );
  partners
    .command('add-host')
    .description('make a workspace member a Host Admin of the partner')
    .argument('<name>', "the partner's name")
    .argument('<email>', 'a workspace member')
    .addHelpText('after', '\nExample:\n  $ cerby-guests partners add-host "Northwind Agency" admin@acme.example')
    .action((name, email) =>
      present(f, run.addHost({ name, email }, f), {
        report: (result, r) =>
          result.added ? r.success(`${result.host} is now a Host Admin of ${result.partner}`) : r.info(`${result.host} is already a Host Admin of ${result.partner}`),
      }),
    );
  partners
    .command('list')
    .description('partners with their numbers of Host Admins, guests and shared accounts')
    .addHelpText('after', '\nExample:\n  $ cerby-guests partners list')
    .action(() =>
      present(f, run.list({}, f), {
        print: (rows, out) =>
          out.rows(rows, [
            { key: 'name', header: 'NAME' },
            { key: 'hosts', header: 'HOST ADMINS' },
            { key: 'guests', header: 'GUESTS' },
            { key: 'accounts', header: 'ACCOUNTS' },
            { key: 'createdBy', header: 'CREATED BY' },
          ], { empty: `no partners yet: create one with \`${f.hint('partners create NAME')}\`` }),
      }),
    );
  partners
    .command('show')
    .description('a partner: its members by partner role and the accounts shared with it')
    .argument('<name>', "the partner's name")
    .addHelpText('after', '\nExample:\n  $ cerby-guests partners show "Northwind Agency"')
    .action((name) =>
      present(f, run.show({ name }, f), {
        print: (details, out) =>
          out.record([
            ['partner', details.name],
            ['host admins', details.hostAdmins.join(', ')],
            ['guest admins', details.guestAdmins.map((g) => `${g.email} (${g.status})`).join(', ')],
            ['guest users', details.guestUsers.map((g) => `${g.email} (${g.status})`).join(', ')],
            ['accounts', details.accounts.map((a) => a.account).join(', ')],
          ]),
      }),
    );
  return partners;
}
