import { Command } from '@commander-js/extra-typings';
import { UsageError } from '../../errors.js';
import type { Factory } from '../../factory.js';
import { present } from '../../output/present.js';
import { runDomainsAdd, runDomainsList, runPolicy } from './run.js';

const RUN = { domainsList: runDomainsList, domainsAdd: runDomainsAdd, policy: runPolicy };

function yesNo(text: string): 'yes' | 'no' {
  if (text === 'yes' || text === 'no') return text;
  throw new UsageError('--mfa-required takes yes or no');
}

export function newCmdWorkspace(f: Factory, runF: Partial<typeof RUN> = {}) {
  const run = { ...RUN, ...runF };
  const workspace = new Command('workspace')
    .description('workspace settings: its own email domains, the guests\' password policy')
    .addHelpText('after', '\nExamples:\n  $ cerby-guests workspace domains add acme-eu.example\n  $ cerby-guests workspace policy --password-min-length 12');
  const domains = workspace
    .command('domains')
    .description("the workspace's own email domains (others are external: guest candidates)")
    .addHelpText('after', '\nExamples:\n  $ cerby-guests workspace domains\n  $ cerby-guests workspace domains add acme-eu.example');
  domains
    .command('list', { isDefault: true })
    .description("list the workspace's own email domains")
    .addHelpText('after', '\nExample:\n  $ cerby-guests workspace domains list')
    .action(() => present(f, run.domainsList({}, f), { print: (list, out) => list.forEach((d) => out.line(d)) }));
  domains
    .command('add')
    .description('add one of the workspace\'s own email domains')
    .argument('<domain>', 'a domain the workspace owns, e.g. acme-eu.example')
    .addHelpText('after', '\nExample:\n  $ cerby-guests workspace domains add acme-eu.example')
    .action((domain) =>
      present(f, run.domainsAdd({ domain }, f), {
        json: (r) => r,
        report: (r, reporter) => (r.added ? reporter.success(`Added the workspace domain ${r.domain}`) : reporter.info(`${r.domain} is already a workspace domain`)),
      }),
    );
  workspace
    .command('policy')
    .description("the guests' password policy: minimum length (15, or down to 8 when MFA is required) and whether MFA is required")
    .option('--password-min-length <n>', 'at least 8; below 15 only with MFA required', Number)
    .option('--mfa-required <yes|no>', 'whether guests must turn on MFA', yesNo)
    .addHelpText('after', '\nExamples:\n  $ cerby-guests workspace policy\n  $ cerby-guests workspace policy --password-min-length 12 --mfa-required yes')
    .action((flags) =>
      present(f, run.policy({ passwordMinLength: flags.passwordMinLength, mfaRequired: flags.mfaRequired }, f), {
        print: (policy, out) => {
          out.line(`password minimum length: ${policy.minLength}`);
          out.line(`MFA required: ${policy.mfaRequired ? 'yes' : 'no'}`);
        },
      }),
    );
  return workspace;
}
