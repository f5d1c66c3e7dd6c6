import { Command } from '@commander-js/extra-typings';
import { commaSeparated } from '../../cli/args.js';
import type { Factory } from '../../factory.js';
import { present } from '../../output/present.js';
import { valueOrPrompt } from '../../prompter.js';
import { DEFAULT_SIGN_IN_URL } from '../../workspace/settings.js';
import { runInit } from './run.js';

export function newCmdInit(f: Factory, runF = runInit) {
  return new Command('init')
    .description('create the store, the workspace and its first owner')
    .option('--workspace <name>', 'workspace name, shown in every invite email')
    .option('--owner <email>', 'email address of the first owner')
    .option('--sign-in-url <url>', `where guests sign in (the "Join as a guest" link points here; default ${DEFAULT_SIGN_IN_URL}, a placeholder)`)
    .option('--from <address>', "sender address of invite emails (default: no-reply@ the owner's domain)")
    .option('--invite-ttl <duration>', 'how long an invite stays valid, from 1m to 365d, e.g. 7d, 48h', '7d')
    .option('--domains <list>', "the workspace's email domains, comma-separated (default: the owner's)", commaSeparated)
    .addHelpText('after', '\nExample:\n  $ cerby-guests init --workspace Acme --owner owner@acme.example')
    .action(async (flags) => {
      const workspace = await valueOrPrompt(f.prompter, flags.workspace, '--workspace', (p) => p.input('Workspace name'));
      const owner = await valueOrPrompt(f.prompter, flags.owner, '--owner', (p) => p.input('Owner email'));
      const opts = { workspace, owner, signInUrl: flags.signInUrl, from: flags.from, inviteTtl: flags.inviteTtl, domains: flags.domains };
      await present(f, runF(opts, f), {
        report: (r, reporter) => {
          reporter.success(`Created workspace ${r.workspace} with owner ${r.owner} in ${r.db}`);
          if (flags.signInUrl === undefined) {
            reporter.warn(`no --sign-in-url: invite links point at the placeholder ${r.signInUrl}; run init with your workspace's real sign-in URL before inviting anyone`);
          }
        },
      });
    });
}
