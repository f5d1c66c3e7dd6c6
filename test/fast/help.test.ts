import type { CommandUnknownOpts } from '@commander-js/extra-typings';
import { buildProgram } from '../../src/cli.js';
import { Factory } from '../../src/factory.js';
import { run } from '../helpers.js';

/**
 * Help that teaches (issue 13): every command and subcommand has a description, every option
 * and argument a text, at least one example, and the global options in its help. The tree is
 * walked from the program itself, so a new command without them fails here.
 */

interface Node {
  path: string[];
  command: CommandUnknownOpts;
}

function walk(command: CommandUnknownOpts, path: string[] = []): Node[] {
  const here = { path, command };
  return [here, ...command.commands.flatMap((sub) => walk(sub, [...path, sub.name()]))];
}

const factory = new Factory({ version: '0.0.0-test' } as ConstructorParameters<typeof Factory>[0]);
const tree = walk(buildProgram(factory));

test('the command tree is walked whole', () => {
  // 19 commands, their subcommands and the program itself.
  expect(tree.length).toBeGreaterThanOrEqual(40);
});

describe.each(tree.map((node) => [node.path.join(' ') || '(the program)', node] as const))('%s', (_name, { path, command }) => {
  test('has a description, and a text for every option and argument', () => {
    const missing = [
      ...(command.description() ? [] : ['its description']),
      ...command.options.filter((o) => !o.description).map((o) => `option ${o.flags}`),
      ...command.registeredArguments.filter((a) => !a.description).map((a) => `argument <${a.name()}>`),
    ];
    expect(missing).toEqual([]);
  });

  test('--help goes to stdout, exit 0, with an example and the global options', async () => {
    const result = await run([...path, '--help']);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    expect(result.stdout).toMatch(/\nExamples?:\n {2}\$ .*cerby-guests /);
    // Every example runs this command (or, for a group, one of its subcommands).
    for (const line of result.stdout.split('\n').filter((l) => l.startsWith('  $ '))) expect(line).toContain(`cerby-guests ${path.join(' ')}`.trimEnd());
    if (path.length > 0) {
      const globals = result.stdout.slice(result.stdout.indexOf('Global Options:'));
      for (const flag of ['--db <path>', '--smtp <url>', '--as <email>', '--json', '--no-color']) expect(globals).toContain(flag);
    }
  });
});

test('cerby-guests alone prints the help to stdout, exit 0', async () => {
  const result = await run([]);
  expect(result.code).toBe(0);
  expect(result.stdout).toMatch(/^Usage: cerby-guests \[options\] \[command\]/);
  expect(result.stderr).toBe('');
});

test.each([
  ['lst', 'list'],
  ['outbox lst', 'list'],
  ['members lst', 'list'],
  ['config lst', 'list'],
  ['workspace domains lst', 'list'],
  ['partners creat', 'create'],
  ['import shw', 'show'],
  ['invit', 'one of init, invite'],
])('a typo (%s) gets "unknown command" and a suggestion, exit 2', async (typed, suggestion) => {
  const result = await run(typed.split(' '));
  expect(result.code).toBe(2);
  expect(result.stderr).toContain(`unknown command '${typed.split(' ').at(-1)}'`);
  expect(result.stderr).toContain(`(Did you mean ${suggestion}?)`);
});
