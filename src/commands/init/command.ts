import { Command } from 'commander';
import { valueOrPrompt } from '../../prompter.js';
import type { AppFactory } from '../types.js';
import { runInit } from './run.js';

export function initCommand(makeApp: AppFactory): Command {
  return new Command('init')
    .description('create the store, the workspace and its first owner')
    .option('--workspace <name>', 'workspace name, shown in every invite email')
    .option('--owner <email>', 'email address of the first owner')
    .option('--sign-in-url <url>', 'where guests sign in (the "Join as a guest" link points here)', 'https://app.cerby.com')
    .option('--from <address>', 'sender address of invite emails (default: no-reply@ the owner\'s domain)')
    .option('--invite-ttl <duration>', 'how long an invite stays valid, e.g. 7d, 48h', '7d')
    .option('--domains <list>', "the workspace's email domains, comma-separated (default: the owner's)", (v: string) => v.split(',').filter(Boolean))
    .addHelpText('after', '\nExample:\n  $ cerby-guests init --workspace Acme --owner owner@acme.example')
    .action(async (opts, command: Command) => {
      const app = makeApp(command);
      const workspace = await valueOrPrompt(app.prompter, opts.workspace, '--workspace', (p) => p.input('Workspace name'));
      const owner = await valueOrPrompt(app.prompter, opts.owner, '--owner', (p) => p.input('Owner email'));
      const result = runInit({ ...opts, workspace, owner }, app);
      if (app.json) app.io.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
      app.success(`Created workspace ${result.workspace} with owner ${result.owner} in ${result.db}`);
    });
}
