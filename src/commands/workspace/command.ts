import { Command } from 'commander';
import { authorize } from '../../permissions.js';
import { addWorkspaceDomain, workspaceDomains } from '../../store/partners.js';
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
      const list = workspaceDomains(app.store());
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
        const added = addWorkspaceDomain(store, domain);
        if (added) store.audit({ at, actor: actor.email, action: 'domain.add', target: `domain:${domain}`, detail: null });
        return added;
      });
      if (added) app.success(`Added the workspace domain ${domain}`);
      else app.info(`${domain} is already a workspace domain`);
    });
  return workspace;
}
