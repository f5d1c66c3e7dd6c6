import fs from 'node:fs';
import path from 'node:path';
import { peek, run, startDownServer, startSmtp, tempDir, workspace, type TestSmtp } from './helpers.js';

/**
 * Delivery an admin can deploy: settings saved once, emails that remember their way, a down
 * server that stops a run early, servers that ask to slow down, a rate limit, hints that work
 * as printed. Against a real SMTP server on 127.0.0.1.
 */

let smtp: TestSmtp;
beforeEach(async () => {
  smtp = await startSmtp();
});
afterEach(async () => {
  await smtp.close();
});

function csv(dir: string, n: number, prefix = 'g'): string {
  const file = path.join(dir, `${prefix}.csv`);
  fs.writeFileSync(file, `email\n${Array.from({ length: n }, (_, i) => `${prefix}${i}@partner.example`).join('\n')}\n`);
  return file;
}

describe('config: set once, then no SMTP flags', () => {
  test('config set smtp; invite, outbox flush and doctor use it; a flag or the environment wins over it', async () => {
    const { cli } = await workspace();
    expect((await cli(['config', 'set', 'smtp', smtp.url])).stderr).toBe(`✓ Saved smtp = ${smtp.url}\n`);
    expect((await cli(['invite', 'ada@partner.example'])).stderr).toBe('✓ Invite sent to ada@partner.example\n');
    expect(smtp.messages.map((m) => m.to[0])).toEqual(['ada@partner.example']);
    expect((await cli(['doctor'])).code).toBe(0);
    expect((await cli(['config', 'get', 'smtp'])).stdout).toBe(`${smtp.url}\n`);
    const list = JSON.parse((await cli(['config', 'list', '--json'])).stdout);
    expect(list).toContainEqual({ key: 'smtp', value: smtp.url, source: 'saved' });
    expect(list).toContainEqual({ key: 'smtp-rate', value: null, source: 'unset' });
    // flag > environment > saved
    expect(JSON.parse((await cli(['config', 'get', 'smtp-rate', '--json'], { env: { CERBY_GUESTS_SMTP_RATE: '5/s' } })).stdout)).toEqual({ key: 'smtp-rate', value: '5/s', source: 'environment' });
    expect(JSON.parse((await cli(['--rate', '7/s', 'config', 'get', 'smtp-rate', '--json'], { env: { CERBY_GUESTS_SMTP_RATE: '5/s' } })).stdout)).toMatchObject({ value: '7/s', source: 'flag' });
    expect((await cli(['config', 'unset', 'smtp'])).stderr).toBe('✓ Removed the saved smtp\n');
    expect((await cli(['config', 'get', 'smtp'])).code).toBe(1);
  });

  test('a URL with a password, a password file others can read, an unknown key: refused (exit 2), nothing saved; a member may look but not change', async () => {
    const { cli, dir } = await workspace();
    const withPassword = await cli(['config', 'set', 'smtp', 'smtp://mailer:S3cret-pw@127.0.0.1:2525']);
    expect(withPassword.code).toBe(2);
    expect(withPassword.stderr).toMatch(/must not contain a password: save it in a 0600 file/);
    expect(withPassword.stderr).not.toContain('S3cret-pw');
    const loose = path.join(dir, 'pw');
    fs.writeFileSync(loose, 'pw\n', { mode: 0o644 });
    expect((await cli(['config', 'set', 'smtp-password-file', loose])).stderr).toMatch(/must be mode 0600/);
    expect((await cli(['config', 'set', 'smtp-colour', 'x'])).code).toBe(2);
    expect((await cli(['config', 'set', 'smtp-rate', 'fast'])).code).toBe(2);
    await cli(['members', 'add', 'user@acme.example', '--role', 'user']);
    expect((await cli(['--as', 'user@acme.example', 'config', 'list'])).code).toBe(0);
    expect((await cli(['--as', 'user@acme.example', 'config', 'set', 'smtp', smtp.url])).code).toBe(4);
    expect(peek(path.join(dir, 'guests.db'), 'SELECT key FROM settings')).toEqual([]);
  });
});

describe('every email remembers its way', () => {
  test('an email queued for SMTP is never written to a file by a flush without SMTP: exit 2 and the command to run, with the same --db', async () => {
    const down = await startDownServer();
    const { cli, db, dir } = await workspace();
    const first = await cli(['--smtp', down.url, 'invite', 'ada@partner.example']).finally(() => down.close());
    expect(first.code).toBe(1);
    expect(first.stderr).toContain(`run \`cerby-guests --db ${db} --smtp ${down.url} outbox flush\``);
    // The hint as printed, without --smtp: refused, nothing written to the outbox folder.
    const flush = await cli(['outbox', 'flush']);
    expect(flush.code).toBe(2);
    expect(flush.stderr).toBe(
      `cerby-guests: 1 invite email(s) are bound for an SMTP server, but none is configured for this run: run \`cerby-guests --db ${db} --smtp smtp://USER@HOST:587 outbox flush\`, or save the server once with \`cerby-guests --db ${db} config set smtp smtp://USER@HOST:587\`\n`,
    );
    expect(fs.existsSync(path.join(dir, 'guests.outbox'))).toBe(false);
    expect(peek(db, `SELECT state, route FROM outbox`)).toEqual([{ state: 'queued', route: 'smtp' }]);
    await cli(['config', 'set', 'smtp', smtp.url]);
    expect((await cli(['outbox', 'flush'])).code).toBe(0);
    expect(smtp.messages.map((m) => m.to[0])).toEqual(['ada@partner.example']);
  });

  test('a queued email waiting for its retry time: outbox list shows when, flush says how many wait', async () => {
    let greylist = true;
    await smtp.close();
    smtp = await startSmtp({ onRcpt: () => (greylist ? { code: 451, message: 'Greylisted' } : undefined) });
    const { cli, clock } = await workspace({ smtp: smtp.url });
    expect((await cli(['invite', 'ada@partner.example'])).code).toBe(1);
    const [message] = JSON.parse((await cli(['outbox', 'list', '--json'])).stdout).messages as { state: string; nextAttemptAt: string }[];
    expect(message!.state).toBe('queued');
    expect(message!.nextAttemptAt > clock.current.toISOString()).toBe(true);
    const flush = await cli(['outbox', 'flush']);
    expect(flush.stderr).toBe(`nothing is due\n1 message(s) wait to be retried, the first at ${message!.nextAttemptAt}\n`);
    greylist = false;
    clock.advance(60_000);
    expect((await cli(['outbox', 'flush'])).code).toBe(0);
  });
});

describe('a server that is down, one that asks to slow down, a rate', () => {
  test('down: the run stops after a few connection failures, well within 10 s; all 200 rows stay queued; exit 1; the summary says why and what to run', async () => {
    const down = await startDownServer();
    try {
      const dir = tempDir();
      const { cli, db } = await workspace({ smtp: down.url, env: { CERBY_GUESTS_RETRY_BASE_MS: '500' } });
      const started = Date.now();
      const result = await cli(['invite', '--csv', csv(dir, 200)]);
      const seconds = (Date.now() - started) / 1000;
      expect(result.code).toBe(1);
      expect(seconds).toBeLessThan(10);
      expect(result.stderr).toMatch(new RegExp(`✗ invited 0, queued 200 \\(SMTP ${down.url.replace(/[/.]/g, '\\$&')} is unreachable \\(.*\\)\\), skipped 0, failed 0 of 200 rows`));
      expect(result.stderr).toContain(`run \`cerby-guests --db ${db} --smtp ${down.url} outbox flush\``);
      expect(peek(db, `SELECT state, count(*) AS n FROM outbox GROUP BY state`)).toEqual([{ state: 'queued', n: 200 }]);
      process.stderr.write(`down-server test: 200 rows to a server that drops connections: exit 1 after ${seconds.toFixed(2)} s, 200 queued\n`);
    } finally {
      await down.close();
    }
  });

  test('421 slow down: every worker backs off and every row is sent in the end, none failed', async () => {
    let refusals = 0;
    await smtp.close();
    smtp = await startSmtp({ onRcpt: () => (refusals++ < 3 ? { code: 421, message: 'Too many connections, slow down' } : undefined) });
    const dir = tempDir();
    const { cli } = await workspace({ smtp: smtp.url });
    const result = await cli(['invite', '--csv', csv(dir, 12), '--concurrency', '3']);
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/✓ Invited 12, skipped 0, failed 0 of 12 rows/);
    expect(smtp.messages).toHaveLength(12);
  });

  test('--rate 20/s over 4 connections: the server sees 20 emails a second, within 10%', async () => {
    const dir = tempDir();
    const { cli } = await workspace({ smtp: smtp.url });
    const result = await cli(['--rate', '20/s', 'invite', '--csv', csv(dir, 21), '--concurrency', '4']);
    expect(result.code).toBe(0);
    expect(smtp.rcptTimes).toHaveLength(21);
    // Once the 4 connections are open (the first sends wait for their greetings), 50 ms apart as
    // the server sees them: 16 intervals from the 5th to the 21st, 0.8 s.
    const seconds = (smtp.rcptTimes[20]! - smtp.rcptTimes[4]!) / 1000;
    expect(seconds).toBeGreaterThanOrEqual(0.8 * 0.9);
    expect(seconds).toBeLessThanOrEqual(0.8 * 1.1);
  });
});

describe('init without --sign-in-url', () => {
  test('links point at an obviously local placeholder, and init says so', async () => {
    const db = path.join(tempDir(), 'w.db');
    const result = await run(['--db', db, 'init', '--workspace', 'Acme', '--owner', 'owner@acme.example']);
    expect(result.stderr).toMatch(/! no --sign-in-url: invite links point at the placeholder https:\/\/cerby\.localhost/);
  });
});
