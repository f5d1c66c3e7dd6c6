import { Command } from 'commander';
import { UsageError } from '../../errors.js';
import { authorize } from '../../permissions.js';
import { iso } from '../../time.js';
import { validateDomain } from '../init/run.js';
import type { AppFactory } from '../types.js';

export function workspaceCommand(makeApp: AppFactory): Command {
  const workspace = new Command('workspace').description('workspace settings');
  const domains = workspace.command('domains').description("the workspace's own email domains (others are external: guest candidates)");
  domains
    .command('list', { isDefault: true })
    .action((_opts, command: Command) => {
      const app = makeApp(command);
      app.workspace();
      authorize(app.actor(), { action: 'members.list' });
      const list = app.store().workspace.domains();
      app.io.stdout.write(app.json ? `${JSON.stringify(list)}\n` : list.map((d) => `${d}\n`).join(''));
    });
  domains
    .command('add')
    .argument('<domain>')
    .action((domainArg: string, _opts, command: Command) => {
      const app = makeApp(command);
      const domain = validateDomain(domainArg);
      const store = app.store();
      app.workspace();
      const actor = app.actor();
      authorize(actor, { action: 'workspace.domains' });
      const at = iso(app.now());
      const added = store.write(() => {
        const added = store.workspace.addDomain(domain);
        if (added) store.audit.record({ at, actor: actor.email, action: 'domain.add', target: `domain:${domain}`, detail: null });
        return added;
      });
      if (added) app.success(`Added the workspace domain ${domain}`);
      else app.info(`${domain} is already a workspace domain`);
    });
  workspace
    .command('policy')
    .description("the guests' password policy: minimum length (15, or down to 8 when MFA is required) and whether MFA is required")
    .option('--password-min-length <n>', 'at least 8; below 15 only with MFA required', Number)
    .option('--mfa-required <yes|no>', 'whether guests must turn on MFA')
    .addHelpText('after', '\nExamples:\n  $ cerby-guests workspace policy\n  $ cerby-guests workspace policy --password-min-length 12 --mfa-required yes')
    .action((opts: { passwordMinLength?: number; mfaRequired?: string }, command: Command) => {
      const app = makeApp(command);
      const store = app.store();
      app.workspace();
      const actor = app.actor();
      const current = store.workspace.passwordPolicy();
      if (opts.passwordMinLength !== undefined || opts.mfaRequired !== undefined) {
        authorize(actor, { action: 'workspace.domains' });
        const minLength = opts.passwordMinLength ?? current.minLength;
        if (opts.mfaRequired !== undefined && !['yes', 'no'].includes(opts.mfaRequired)) throw new UsageError('--mfa-required takes yes or no');
        const mfaRequired = opts.mfaRequired === undefined ? current.mfaRequired : opts.mfaRequired === 'yes';
        if (!Number.isInteger(minLength) || minLength < 8 || minLength > 64) throw new UsageError('--password-min-length must be a whole number from 8 to 64');
        if (minLength < 15 && !mfaRequired) throw new UsageError('a minimum below 15 characters needs MFA required (NIST SP 800-63B rev. 4)');
        const at = iso(app.now());
        store.write(() => {
          store.workspace.setPasswordPolicy(minLength, mfaRequired);
          store.audit.record({ at, actor: actor.email, action: 'policy', target: 'workspace', detail: { minLength, mfaRequired } });
        });
      } else {
        authorize(actor, { action: 'members.list' });
      }
      const policy = store.workspace.passwordPolicy();
      if (app.json) app.io.stdout.write(`${JSON.stringify(policy)}\n`);
      else app.io.stdout.write(`password minimum length: ${policy.minLength}\nMFA required: ${policy.mfaRequired ? 'yes' : 'no'}\n`);
    });
  return workspace;
}
