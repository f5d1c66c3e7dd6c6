import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir } from './helpers.js';

const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'cerby-guests');

/** The real executable, as a user runs it: piped, no terminal. */
function cerby(args: string[], env: Record<string, string> = {}) {
  const result = spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    timeout: 20_000,
  });
  return { code: result.status, signal: result.signal, stdout: result.stdout, stderr: result.stderr };
}

/** A step that must work: on failure the assertion shows its exit, signal and stderr. */
function succeeds(args: string[], env: Record<string, string> = {}) {
  const result = cerby(args, env);
  if (result.code !== 0) throw new Error(`cerby-guests ${args.join(' ')}: exit ${result.code}, signal ${result.signal}, stderr:\n${result.stderr}`);
  return result;
}

describe('the executable', () => {
  test('--version and --help exit 0', () => {
    const version = cerby(['--version']);
    expect(version.code).toBe(0);
    expect(version.stdout.trim()).toBe(JSON.parse(fs.readFileSync(path.join(path.dirname(BIN), '..', 'package.json'), 'utf8')).version);
    const help = cerby(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Exit codes: 0 done, 1 failure, 2 bad usage or input, 3 partly done, 4 not permitted, 130 cancelled.');
  });

  test.each([
    [['--bogus'], 2, /unknown option '--bogus'/],
    [['frobnicate'], 2, /unknown command 'frobnicate'/],
    [['list', '--status'], 2, /argument missing/],
    [['invite', 'not-an-address'], 2, /invalid email address "not-an-address"/],
    [['members', 'add', 'x@acme.example'], 2, /required option '--role <role>' not specified/],
  ])('%j exits %i with one clear line and no stack trace', (args, code, message) => {
    const dir = tempDir();
    const db = path.join(dir, 'g.db');
    succeeds(['--db', db, 'init', '--workspace', 'Acme', '--owner', 'owner@acme.example']);
    const result = cerby(['--db', db, ...args]);
    expect(result.code).toBe(code);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).not.toMatch(/\n\s+at .*\(.*:\d+:\d+\)/);
    expect(result.stderr).not.toMatch(/Error:/);
  });

  test('an error nothing else caught (here: no built bundle to load) is one line and exit 1, not a stack trace', () => {
    const dir = tempDir();
    fs.mkdirSync(path.join(dir, 'bin'));
    fs.copyFileSync(BIN, path.join(dir, 'bin', 'cerby-guests'));
    fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ type: 'module', version: '0.0.0' }));
    const result = spawnSync(process.execPath, [path.join(dir, 'bin', 'cerby-guests'), 'list'], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '' } });
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/^cerby-guests: unexpected error: Cannot find module '.*dist\/bundle\/main\.js'.*\n$/);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
  });

  test('a full run from the command line: init, invite, list', () => {
    const dir = tempDir();
    const env = { CERBY_GUESTS_DB: path.join(dir, 'g.db') };
    succeeds(['init', '--workspace', 'Acme', '--owner', 'owner@acme.example'], env);
    const invite = succeeds(['invite', 'guest@partner.example', '--message', 'Welcome aboard'], env);
    expect(invite.stderr).toContain(`Invite for guest@partner.example written to ${path.join(dir, 'g.outbox', '000001-guest@partner.example.eml')}`);
    const list = succeeds(['list'], env);
    expect(list.stdout.split('\t').slice(0, 4)).toEqual(['guest@partner.example', '', '', 'pending']);
    expect(fs.statSync(path.join(dir, 'g.db')).mode & 0o777).toBe(0o600);
  });
});
