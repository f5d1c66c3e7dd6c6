import fs from 'node:fs';
import path from 'node:path';
import { run, startSmtp, tempDir, workspace, startDownServer } from './helpers.js';

describe('doctor', () => {
  test('a healthy store with the outbox folder: one line per check, exit 0', async () => {
    const { cli } = await workspace();
    const result = await cli(['doctor']);
    expect(result.code).toBe(0);
    const lines = result.stdout.trim().split('\n');
    expect(lines.map((l) => l.split(':')[0])).toEqual([
      '✓ file modes',
      '✓ store opens',
      '✓ schema version',
      '✓ integrity',
      '✓ workspace',
      '✓ outbox',
      '✓ outbox folder',
    ]);
  });

  test('SMTP: connect and authentication are checked for real; a wrong password fails the run', async () => {
    const smtp = await startSmtp({ login: { user: 'mailer', pass: 'right-pass' } });
    try {
      const dir = tempDir();
      const good = path.join(dir, 'good');
      const bad = path.join(dir, 'bad');
      fs.writeFileSync(good, 'right-pass', { mode: 0o600 });
      fs.writeFileSync(bad, 'nope-not-it', { mode: 0o600 });
      const { cli } = await workspace({ smtp: `smtp://mailer@127.0.0.1:${smtp.port}` });
      const ok = await cli(['--smtp-password-file', good, 'doctor', '--json']);
      expect(ok.code).toBe(0);
      expect(JSON.parse(ok.stdout).find((c: { check: string }) => c.check === 'smtp auth')).toMatchObject({ ok: true, detail: expect.stringMatching(/authenticated as mailer$/) });
      const wrong = await cli(['--smtp-password-file', bad, 'doctor', '--json']);
      expect(wrong.code).toBe(1);
      const check = JSON.parse(wrong.stdout).find((c: { check: string }) => c.check === 'smtp auth');
      expect(check).toMatchObject({ ok: false });
      expect(check.detail).toMatch(/535/);
      expect(wrong.stdout + wrong.stderr).not.toContain('nope-not-it');
    } finally {
      await smtp.close();
    }
  });

  test('an unreachable SMTP server fails the smtp check', async () => {
    const down = await startDownServer();
    const { cli } = await workspace({ smtp: down.url });
    const result = await cli(['doctor']).finally(() => down.close());
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/✗ smtp connect: smtp:\/\/127\.0\.0\.1:\d+: the server closed the connection/);
  });

  test('loose file modes are reported (and fixed), and fail the run', async () => {
    const { cli, db } = await workspace();
    fs.chmodSync(db, 0o644);
    const result = await cli(['doctor']);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/✗ file modes: .*guests\.db is 0644/);
    expect(fs.statSync(db).mode & 0o777).toBe(0o600);
    expect((await cli(['doctor'])).code).toBe(0);
  });

  test('no store: one failing line naming init', async () => {
    const result = await run(['--db', path.join(tempDir(), 'none.db'), 'doctor']);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/✗ store opens: no store at .*none\.db: run `cerby-guests --db .* init/);
  });
});
