import type { CommandUnknownOpts } from '@commander-js/extra-typings';
import { ok, type Result } from '../../result.js';

export const SHELLS = ['bash', 'zsh', 'fish'] as const;
export type Shell = (typeof SHELLS)[number];

export interface CompletionOptions {
  shell: Shell;
}

/** One command of the tree, as completion needs it: its path, subcommands and flags. */
interface CompletionNode {
  path: string[];
  description: string;
  subcommands: string[];
  /** Long flags, with whether each takes a value and whether that value is a file. */
  flags: { name: string; description: string; takesValue: boolean; isFile: boolean }[];
}

function nodes(command: CommandUnknownOpts, path: string[] = [], inherited: CompletionNode['flags'] = []): CompletionNode[] {
  const own = command.options
    .filter((o) => o.long !== undefined && !o.hidden)
    .map((o) => ({
      name: o.long!,
      description: o.description,
      takesValue: o.required || o.optional,
      isFile: /<(file|path)>/.test(o.flags),
    }));
  // Global options (the program's) are valid after every command.
  const flags = [...inherited, ...own, { name: '--help', description: 'show help', takesValue: false, isFile: false }];
  const visible = command.commands.filter((c) => !(c as unknown as { _hidden?: boolean })._hidden);
  const here: CompletionNode = { path, description: command.description(), subcommands: visible.map((c) => c.name()), flags };
  const globals = path.length === 0 ? own.filter((o) => o.name !== '--version') : inherited;
  return [here, ...visible.flatMap((sub) => nodes(sub, [...path, sub.name()], globals))];
}

const quoteSingle = (text: string) => `'${text.replace(/'/g, `'\\''`)}'`;

/**
 * bash: the words typed so far pick the deepest command they name (flags and their values are
 * skipped); then its subcommands and flags are offered, or file names after a flag that takes one.
 */
function bash(tree: CompletionNode[], program: string): string {
  const fn = `_${program.replace(/[^A-Za-z0-9]/g, '_')}`;
  const key = (path: string[]) => `/${path.join('/')}`;
  const known = tree.filter((n) => n.path.length > 0).map((n) => key(n.path));
  const valueFlags = [...new Set(tree.flatMap((n) => n.flags.filter((f) => f.takesValue).map((f) => f.name)))];
  const fileFlags = [...new Set(tree.flatMap((n) => n.flags.filter((f) => f.isFile).map((f) => f.name)))];
  const cases = tree.map((n) => `    ${quoteSingle(n.path.length ? key(n.path) : '')}) words=${quoteSingle([...n.subcommands, ...n.flags.map((f) => f.name)].join(' '))} ;;`);
  return `# ${program} completion for bash: eval "$(${program} completion bash)"
${fn}() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" prev="\${COMP_WORDS[COMP_CWORD-1]}" path="" word words i
  case "$prev" in
    ${fileFlags.join('|') || '--no-such-flag'}) COMPREPLY=($(compgen -f -- "$cur")); return ;;
    ${valueFlags.filter((f) => !fileFlags.includes(f)).join('|') || '--no-such-flag'}) COMPREPLY=(); return ;;
  esac
  for ((i = 1; i < COMP_CWORD; i++)); do
    word="\${COMP_WORDS[i]}"
    case "$path/$word" in
      ${known.map(quoteSingle).join('|')}) path="$path/$word" ;;
    esac
  done
  case "$path" in
${cases.join('\n')}
  esac
  COMPREPLY=($(compgen -W "$words" -- "$cur"))
}
complete -o default -F ${fn} ${program}
`;
}

/** zsh runs the bash function through bashcompinit: one definition of the tree for both. */
function zsh(tree: CompletionNode[], program: string): string {
  return `#compdef ${program}
# ${program} completion for zsh: eval "$(${program} completion zsh)"
autoload -U +X bashcompinit && bashcompinit
${bash(tree, program).split('\n').slice(1).join('\n')}`;
}

/** fish: a subcommand is offered once its parents were typed and none of its siblings; flags once their command was. */
function fish(tree: CompletionNode[], program: string): string {
  const lines = [`# ${program} completion for fish: ${program} completion fish | source`, `complete -c ${program} -f`];
  const seen = (path: string[]) => path.map((word) => `__fish_seen_subcommand_from ${word}`).join('; and ');
  for (const node of tree) {
    if (node.subcommands.length > 0) {
      const condition = node.path.length === 0 ? '__fish_use_subcommand' : `${seen(node.path)}; and not __fish_seen_subcommand_from ${node.subcommands.join(' ')}`;
      for (const sub of tree.filter((n) => n.path.length === node.path.length + 1 && n.path.slice(0, -1).join(' ') === node.path.join(' '))) {
        lines.push(`complete -c ${program} -n ${quoteSingle(condition)} -a ${sub.path.at(-1)!} -d ${quoteSingle(sub.description)}`);
      }
    }
    if (node.path.length === 0) continue;
    for (const flag of node.flags) {
      const value = flag.takesValue ? (flag.isFile ? ' -r -F' : ' -r') : '';
      lines.push(`complete -c ${program} -n ${quoteSingle(seen(node.path))} -l ${flag.name.slice(2)}${value} -d ${quoteSingle(flag.description)}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

/** The completion script for `shell`, made from the command tree itself: a new command or flag completes at once. */
export function runCompletion(opts: CompletionOptions, program: CommandUnknownOpts): Result<string> {
  const tree = nodes(program);
  const name = program.name();
  const script = opts.shell === 'bash' ? bash(tree, name) : opts.shell === 'zsh' ? zsh(tree, name) : fish(tree, name);
  return ok(script);
}
