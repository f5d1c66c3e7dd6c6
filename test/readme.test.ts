import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CommandUnknownOpts } from '@commander-js/extra-typings';
import { buildProgram } from '../src/cli.js';
import { Factory } from '../src/factory.js';
import { quickStart, runQuickStart } from './helpers.js';

/**
 * The README is the whole manual (issue 13): its quick start runs exactly as written, it
 * points at nothing outside the repository, and every command of the program is in it.
 */

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const README = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');

test('the quick start is the two commands, the tool through npx, and the tests', () => {
  const lines = quickStart();
  expect(lines[0]).toBe('npm ci');
  expect(lines.at(-1)).toBe('npm test');
  const middle = lines.slice(1, -1);
  expect(middle.length).toBeGreaterThanOrEqual(3);
  for (const line of middle) expect(line).toMatch(/^npx cerby-guests /);
});

test('its npx lines run exactly as written, in a fresh folder, each exit 0', () => {
  // Inside the repository: npx finds this package's own bin there (outside, it would ask the
  // registry). `npm ci` and `npm test` are what runs this test, so they are not run again.
  const folder = fs.mkdtempSync(path.join(ROOT, '.quickstart-'));
  try {
    const outputs = runQuickStart(folder);
    // What the quick start promises: a store, an invite email in the outbox folder, a listed guest.
    expect(fs.existsSync(path.join(folder, 'cerby-guests.db'))).toBe(true);
    expect(fs.readdirSync(path.join(folder, 'cerby-guests.outbox')).filter((f) => f.endsWith('.eml'))).toHaveLength(1);
    expect(outputs.at(-1)).toContain('guest@partner.example');
  } finally {
    fs.rmSync(folder, { recursive: true, force: true });
  }
}, 120_000);

test('nothing outside the repository is referenced; every relative link exists', () => {
  expect(README).not.toMatch(/\.\.\/|SPEC\.md|shared\/|help-articles/);
  for (const [, target] of README.matchAll(/\]\(([^)#][^)]*)\)/g)) {
    if (/^[a-z]+:/.test(target!)) continue;
    expect([target, fs.existsSync(path.join(ROOT, target!))]).toEqual([target, true]);
  }
  // In-page links lead to a heading.
  const anchors = new Set(
    [...README.matchAll(/^#+ (.*)$/gm)].map(([, heading]) =>
      heading!.toLowerCase().replace(/[^\p{L}\p{N} -]/gu, '').replace(/ /g, '-'),
    ),
  );
  for (const [, anchor] of README.matchAll(/\]\(#([^)]+)\)/g)) expect([anchor, anchors.has(anchor!)]).toEqual([anchor, true]);
});

test('every command and subcommand of the program is in the README', () => {
  const paths: string[] = [];
  const walk = (command: CommandUnknownOpts, prefix: string[]) => {
    for (const sub of command.commands) {
      const here = [...prefix, sub.name()];
      if (sub.commands.length === 0) paths.push(here.join(' '));
      walk(sub, here);
    }
  };
  walk(buildProgram(new Factory({ version: '0.0.0-test' } as ConstructorParameters<typeof Factory>[0])), []);
  const missing = paths.filter((p) => {
    const [group, ...rest] = p.split(' ');
    // `workspace domains list` may be written `workspace domains [list]`, `outbox list` as `outbox [list]`.
    return !new RegExp(`\`${group}[^\`]*${rest.map((w) => `\\[?${w}\\]?`).join(' ')}`).test(README);
  });
  expect(missing).toEqual([]);
});
