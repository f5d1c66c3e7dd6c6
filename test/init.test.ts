import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { Clock, run, tempDir, workspace } from './helpers.js';

/** The folder's entries: a refused --db leaves no -journal, -wal or -shm beside it. */
function entries(dir: string): string[] {
  return fs.readdirSync(dir).sort();
}

describe('init', () => {
  test('creates the store 0600 with the workspace and its owner', async () => {
    const dir = tempDir();
    const db = path.join(dir, 'w.db');
    const result = await run(['--db', db, 'init', '--workspace', 'Acme', '--owner', 'Owner@Acme.example', '--invite-ttl', '48h', '--json']);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ workspace: 'Acme', owner: 'Owner@Acme.example', inviteTtl: '2d', sender: 'no-reply@Acme.example' });
    expect(result.stderr).toContain('Created workspace Acme');
    expect(fs.statSync(db).mode & 0o777).toBe(0o600);
    const members = await run(['--db', db, 'members', 'list', '--json']);
    expect(JSON.parse(members.stdout)).toEqual([expect.objectContaining({ email: 'Owner@Acme.example', role: 'owner' })]);
  });

  test('refuses to run twice on one store and changes nothing', async () => {
    const { cli } = await workspace();
    const again = await cli(['init', '--workspace', 'Other', '--owner', 'x@other.example']);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/already holds the workspace "Acme"/);
    const members = await cli(['members', 'list', '--json']);
    expect(JSON.parse(members.stdout)).toHaveLength(1);
  });

  test.each([
    [['--owner', 'not-an-email'], /invalid --owner address/],
    [['--owner', 'o@acme.example', '--invite-ttl', 'soon'], /invalid --invite-ttl/],
    [['--owner', 'o@acme.example', '--sign-in-url', 'ftp://x'], /https:\/\//],
  ])('bad input %j exits 2 and creates nothing', async (args, message) => {
    const dir = tempDir();
    const db = path.join(dir, 'w.db');
    const result = await run(['--db', db, 'init', '--workspace', 'Acme', ...args]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(fs.existsSync(db)).toBe(false);
  });

  test.each(['0m', '59s', '366d', '500000w'])('--invite-ttl %s is out of bounds: exit 2 naming them, no store created', async (ttl) => {
    const dir = tempDir();
    const db = path.join(dir, 'w.db');
    const result = await run(['--db', db, 'init', '--workspace', 'Acme', '--owner', 'o@acme.example', '--invite-ttl', ttl]);
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split('\n')).toEqual([`cerby-guests: invalid --invite-ttl "${ttl}": must be between 1m and 365d`]);
    expect(entries(dir)).toEqual([]);
  });

  test.each([
    ['1m', 60_000],
    ['365d', 365 * 86_400_000],
  ])('--invite-ttl %s is accepted, and an invite expires that much later', async (ttl, ms) => {
    const clock = new Clock();
    const db = path.join(tempDir(), 'w.db');
    const init = await run(['--db', db, 'init', '--workspace', 'Acme', '--owner', 'o@acme.example', '--invite-ttl', ttl, '--json'], { clock });
    expect(init.code).toBe(0);
    expect(JSON.parse(init.stdout).inviteTtl).toBe(ttl);
    expect((await run(['--db', db, 'invite', 'guest@partner.example'], { clock })).code).toBe(0);
    const [row] = JSON.parse((await run(['--db', db, 'list', '--json'], { clock })).stdout);
    expect(row.expiresAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(Date.parse(row.expiresAt) - clock.current.getTime()).toBe(ms);
  });

  test('a missing flag is a usage error naming it when not on a terminal', async () => {
    const result = await run(['--db', path.join(tempDir(), 'w.db'), 'init', '--owner', 'o@acme.example']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('missing --workspace');
  });

  test('a command on a store without init says exactly which init to run', async () => {
    const db = path.join(tempDir(), 'none.db');
    const result = await run(['--db', db, 'invite', 'guest@partner.example']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`run \`cerby-guests --db ${db} init --workspace NAME --owner EMAIL\``);
    expect(fs.existsSync(db)).toBe(false);
  });
});

describe('store files', () => {
  test('a file that is not SQLite is refused with exit 2 and left untouched', async () => {
    const db = path.join(tempDir(), 'text.db');
    fs.writeFileSync(db, 'hello, this is not a database\n'.repeat(10), { mode: 0o600 });
    const before = fs.readFileSync(db);
    const result = await run(['--db', db, 'list']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/not a cerby-guests database/);
    expect(fs.readFileSync(db)).toEqual(before);
  });

  test('a store written by a newer version is refused', async () => {
    const { db, cli } = await workspace();
    const raw = new Database(db);
    raw.pragma('user_version = 99');
    raw.close();
    const result = await cli(['list']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/newer cerby-guests \(schema 99/);
  });

  test('an SQLite file of something else is refused', async () => {
    const db = path.join(tempDir(), 'other.db');
    const raw = new Database(db);
    raw.exec('CREATE TABLE t (x)');
    raw.close();
    const result = await run(['--db', db, 'list']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/not a cerby-guests database/);
  });

  test('init into a folder that does not exist: exit 2 naming the folder, nothing created', async () => {
    const missing = path.join(tempDir(), 'no', 'such');
    const result = await run(['--db', path.join(missing, 'g.db'), 'init', '--workspace', 'Acme', '--owner', 'owner@acme.example']);
    expect([result.code, result.stderr]).toEqual([2, `cerby-guests: cannot create the store ${path.join(missing, 'g.db')}: the folder ${missing} does not exist (create it first)\n`]);
    expect(fs.existsSync(path.dirname(missing))).toBe(false);
  });

  test('a FIFO is refused at once with exit 2, never opened, no side files', async () => {
    const dir = tempDir();
    const fifo = path.join(dir, 'pipe.db');
    execFileSync('mkfifo', ['-m', '0644', fifo]);
    // Should the CLI ever block opening the FIFO, this writer (every 3 s, while the test runs)
    // lets it go on, so the test fails on the time taken instead of hanging jest.
    const watchdog = spawn(
      process.execPath,
      ['-e', `setInterval(() => { try { const fs = require('fs'); fs.closeSync(fs.openSync(${JSON.stringify(fifo)}, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK)); } catch {} }, 3000)`],
      { stdio: 'ignore' },
    );
    try {
      const started = Date.now();
      const list = await run(['--db', fifo, 'list']);
      const init = await run(['--db', fifo, 'init', '--workspace', 'Acme', '--owner', 'o@acme.example']);
      expect(Date.now() - started).toBeLessThan(3000);
      for (const result of [list, init]) {
        expect(result.code).toBe(2);
        expect(result.stderr.trim().split('\n')).toEqual([`cerby-guests: ${fifo} is a named pipe (FIFO), not a cerby-guests database`]);
      }
      expect(entries(dir)).toEqual(['pipe.db']);
      expect(fs.statSync(fifo).mode & 0o777).toBe(0o644);
    } finally {
      watchdog.kill();
    }
  });

  test('a character device (like /dev/null) is refused with exit 2: not chmodded, no side files', async () => {
    const dir = tempDir();
    const device = path.join(dir, 'null.db');
    execFileSync('mknod', ['-m', '0666', device, 'c', '1', '3']);
    for (const argv of [['list'], ['invite', 'guest@partner.example'], ['init', '--workspace', 'Acme', '--owner', 'o@acme.example']]) {
      const result = await run(['--db', device, ...argv]);
      expect(result.code).toBe(2);
      expect(result.stderr.trim().split('\n')).toEqual([`cerby-guests: ${device} is a character device, not a cerby-guests database`]);
    }
    expect(fs.statSync(device).isCharacterDevice()).toBe(true);
    expect(fs.statSync(device).mode & 0o777).toBe(0o666);
    expect(entries(dir)).toEqual(['null.db']);
  });

  test('a directory is refused with exit 2', async () => {
    const dir = tempDir();
    const folder = path.join(dir, 'folder.db');
    fs.mkdirSync(folder, { mode: 0o755 });
    for (const argv of [['list'], ['init', '--workspace', 'Acme', '--owner', 'o@acme.example']]) {
      const result = await run(['--db', folder, ...argv]);
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(/folder\.db is a directory, not a cerby-guests database/);
    }
    expect(entries(dir)).toEqual(['folder.db']);
    expect(entries(folder)).toEqual([]);
    expect(fs.statSync(folder).mode & 0o777).toBe(0o755);
  });

  test('an empty file is no store to `list`: the init hint, the file left as it was; `init` may use it', async () => {
    const dir = tempDir();
    const db = path.join(dir, 'empty.db');
    fs.writeFileSync(db, '');
    fs.chmodSync(db, 0o644);
    const list = await run(['--db', db, 'list']);
    expect(list.code).toBe(2);
    expect(list.stderr.trim().split('\n')).toEqual([
      `cerby-guests: no workspace yet at ${db}: run \`cerby-guests --db ${db} init --workspace NAME --owner EMAIL\` first`,
    ]);
    expect(fs.statSync(db).size).toBe(0);
    expect(fs.statSync(db).mode & 0o777).toBe(0o644);
    expect(entries(dir)).toEqual(['empty.db']);

    const init = await run(['--db', db, 'init', '--workspace', 'Acme', '--owner', 'o@acme.example']);
    expect(init.code).toBe(0);
    expect(fs.statSync(db).size).toBeGreaterThan(0);
    expect(fs.statSync(db).mode & 0o777).toBe(0o600);
    expect((await run(['--db', db, 'list'])).code).toBe(0);
  });

  test('loose permissions on an existing store are fixed to 0600, and said so', async () => {
    const { db, cli } = await workspace();
    fs.chmodSync(db, 0o644);
    const result = await cli(['list']);
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/fixed permissions of .*0644 → 0600/);
    expect(fs.statSync(db).mode & 0o777).toBe(0o600);
  });
});
