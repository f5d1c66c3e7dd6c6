import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { run, tempDir } from '../helpers.js';

/**
 * `completion bash|zsh|fish` (issue 13): made from the command tree. The bash script is loaded
 * into a real bash and asked what it completes, as a shell would ask it.
 */

async function script(shell: string): Promise<string> {
  const result = await run(['completion', shell]);
  expect(result.code).toBe(0);
  return result.stdout;
}

/** What bash offers for `line` (a trailing space: a new word), with the script loaded. */
function complete(bashScript: string, line: string, cwd: string): string[] {
  const program = `${bashScript}
read -r -a COMP_WORDS <<< "$LINE"
[[ "$LINE" == *" " ]] && COMP_WORDS+=("")
COMP_CWORD=$((\${#COMP_WORDS[@]} - 1))
_cerby_guests
printf '%s\\n' "\${COMPREPLY[@]}"`;
  const result = spawnSync('bash', ['--norc', '-c', program], { cwd, env: { PATH: process.env.PATH, LINE: line }, encoding: 'utf8' });
  expect(result.stderr).toBe('');
  return result.stdout.split('\n').filter(Boolean);
}

describe('bash', () => {
  let bash: string;
  const dir = tempDir();
  beforeAll(async () => {
    bash = await script('bash');
    fs.writeFileSync(path.join(dir, 'guests.csv'), 'email\n');
  });

  test.each([
    ['cerby-guests ', ['init', 'members', 'invite', 'outbox', 'completion', '--db', '--json']],
    ['cerby-guests o', ['outbox']],
    ['cerby-guests outbox ', ['list', 'flush', '--db', '--help']],
    ['cerby-guests outbox flush --r', ['--rate', '--retry-unknown', '--retry-failed']],
    ['cerby-guests --db x.db wor', ['workspace']],
    ['cerby-guests workspace domains ', ['list', 'add']],
    ['cerby-guests join --', ['--email-file', '--password-file', '--totp-code', '--qr-file']],
    ['cerby-guests invite --csv gu', ['guests.csv']],
  ])('%s', (line, expected) => {
    const offered = complete(bash, line, dir);
    expect(offered).toEqual(expect.arrayContaining(expected));
  });

  test('a subcommand offers only its own flags and the global ones; --version only at the top', () => {
    const offered = complete(bash, 'cerby-guests outbox list --', dir);
    expect(offered).toContain('--state');
    expect(offered).not.toContain('--retry-failed');
    expect(offered).not.toContain('--version');
    expect(complete(bash, 'cerby-guests --v', dir)).toEqual(expect.arrayContaining(['--version', '--verbose']));
  });
});

test('zsh loads the same function through bashcompinit', async () => {
  const zsh = await script('zsh');
  expect(zsh.split('\n')[0]).toBe('#compdef cerby-guests');
  expect(zsh).toContain('autoload -U +X bashcompinit && bashcompinit');
  expect(zsh).toContain('complete -o default -F _cerby_guests cerby-guests');
});

test('fish: subcommands under their parents, flags with descriptions', async () => {
  const fish = await script('fish');
  expect(fish).toContain("complete -c cerby-guests -n '__fish_use_subcommand' -a invite -d 'invite guests by email");
  expect(fish).toContain("complete -c cerby-guests -n '__fish_seen_subcommand_from outbox; and not __fish_seen_subcommand_from list flush' -a flush");
  expect(fish).toMatch(/-n '__fish_seen_subcommand_from outbox; and __fish_seen_subcommand_from flush' -l retry-failed -d 'also retry/);
  expect(fish).toMatch(/-n '__fish_seen_subcommand_from invite' -l csv -r -F -d /);
});

test('an unknown shell is a usage error naming the three', async () => {
  const result = await run(['completion', 'tcsh']);
  expect(result.code).toBe(2);
  expect(result.stderr).toContain('use one of bash, zsh, fish');
});
