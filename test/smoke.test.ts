import { startSmtp, workspace, startDownServer } from './helpers.js';

describe('smoke', () => {
  test('outbox mode: every step of the path, one timed line each, exit 0', async () => {
    const { cli } = await workspace();
    const result = await cli(['smoke', '--json']);
    expect(result.code).toBe(0);
    const steps = JSON.parse(result.stdout);
    expect(steps.map((s: { step: string; ok: boolean }) => [s.step, s.ok])).toEqual([
      ['init', true],
      ['invite', true],
      ['email', true],
      ['join', true],
      ['setup', true],
      ['list shows joined', true],
    ]);
    for (const s of steps) expect(typeof s.ms).toBe('number');
    // The real store is untouched: smoke works in a throw-away one.
    expect(JSON.parse((await cli(['list', '--json'])).stdout)).toEqual([]);
  }, 30_000);

  test('through a real SMTP server', async () => {
    const smtp = await startSmtp();
    try {
      const { cli } = await workspace({ smtp: smtp.url });
      const result = await cli(['smoke', '--to', 'ci@acme.example']);
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/✓ email \(\d+ ms\): smtp:\/\/127\.0\.0\.1:\d+: delivered/);
      expect(smtp.messages.map((m) => m.to[0])).toEqual(['ci@acme.example']);
    } finally {
      await smtp.close();
    }
  }, 30_000);

  test('an unreachable SMTP server fails the email step: exit 1', async () => {
    const down = await startDownServer();
    const { cli } = await workspace({ smtp: down.url });
    const result = await cli(['smoke']).finally(() => down.close());
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/✓ invite/);
    expect(result.stdout).toMatch(/✗ email \(\d+ ms\): not delivered \(queued\)/);
    expect(result.stdout).not.toMatch(/join/);
    expect(result.stderr).toMatch(/smoke failed at "email"/);
  }, 30_000);
});
