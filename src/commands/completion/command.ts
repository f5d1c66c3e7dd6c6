import { Command, type CommandUnknownOpts } from '@commander-js/extra-typings';
import { oneOf } from '../../cli/args.js';
import type { Factory } from '../../factory.js';
import { present } from '../../output/present.js';
import { runCompletion, SHELLS } from './run.js';

export function newCmdCompletion(f: Factory, runF = runCompletion) {
  return new Command('completion')
    .description('print a shell completion script for commands and flags')
    .argument('<shell>', SHELLS.join(', '), oneOf(SHELLS))
    .addHelpText(
      'after',
      `
Load it in the current shell, or add the line to ~/.bashrc, ~/.zshrc or fish's config:

Examples:
  $ eval "$(cerby-guests completion bash)"
  $ eval "$(cerby-guests completion zsh)"
  $ cerby-guests completion fish | source`,
    )
    .action(async (shell, _flags, command) => {
      let root = command as CommandUnknownOpts;
      while (root.parent) root = root.parent;
      await present(f, runF({ shell }, root), { print: (script, out) => out.line(script.replace(/\n$/, '')), json: (script) => ({ shell, script }) });
    });
}
