import fs from 'node:fs';
import path from 'node:path';
import { newCmdInvite } from '../../src/commands/invite/command.js';
import { newCmdResend } from '../../src/commands/resend/command.js';
import { newCmdRevoke } from '../../src/commands/revoke/command.js';
import type { InviteOptions } from '../../src/commands/invite/run.js';
import type { ResendOptions } from '../../src/commands/resend/run.js';
import type { RevokeOptions } from '../../src/commands/revoke/run.js';
import { ok } from '../../src/result.js';
import { Clock, tempDir, parsingFactory } from '../helpers.js';
import { fastWorkspace, TERMINALS } from './harness.js';

/**
 * The fast layer for invite, resend and revoke: flags → typed options (parsing only, through
 * runF), then options → output on an in-memory store and a fake mailer, on a terminal and piped.
 */


describe('flags become typed options', () => {
  test('invite: addresses and every flag, or --csv with its concurrency, or --from-import', async () => {
    const f = parsingFactory();
    const seen: unknown[] = [];
    const runners = {
      invite: (opts: InviteOptions) => (seen.push(opts), Promise.resolve(ok({ dryRun: opts.dryRun, results: [], counts: {} }))),
      bulk: (opts: unknown) => (seen.push(opts), Promise.resolve(ok({ dryRun: false, rows: 0, counts: { invited: 0, queued: 0, skipped: 0, failed: 0, duplicates: 0 }, duplicates: [], failures: [], seconds: 0 }))),
      fromImport: (opts: unknown) => (seen.push(opts), Promise.resolve(ok({ dryRun: false, results: [], counts: {} }))),
    };
    await newCmdInvite(f, runners).parseAsync(['a@x.example', 'b@x.example', '--partner', 'P', '--role', 'guest_admin', '--message', 'hi', '--dry-run'], { from: 'user' });
    await newCmdInvite(f, runners).parseAsync(['--csv', 'g.csv', '--concurrency', '8'], { from: 'user' });
    await newCmdInvite(f, runners).parseAsync(['--from-import', '3'], { from: 'user' });
    expect(seen).toEqual([
      { emails: ['a@x.example', 'b@x.example'], partner: 'P', role: 'guest_admin', message: 'hi', name: undefined, familyName: undefined, dryRun: true },
      { file: 'g.csv', message: undefined, dryRun: false, concurrency: 8 },
      { importId: '3', message: undefined, dryRun: false },
    ]);
  });

  test('--concurrency must be a whole number from 1 to 64', async () => {
    const command = newCmdInvite(parsingFactory(), {}).exitOverride().configureOutput({ writeErr: () => {} });
    await expect(command.parseAsync(['--csv', 'g.csv', '--concurrency', '0'], { from: 'user' })).rejects.toThrow(/from 1 to 64/);
  });

  test('resend: --older-than is a duration in seconds; revoke: addresses and --dry-run', async () => {
    const f = parsingFactory();
    const seen: unknown[] = [];
    await newCmdResend(f, (opts: ResendOptions) => (seen.push(opts), Promise.resolve(ok({ dryRun: false, results: [], counts: {} })))).parseAsync(
      ['--all-pending', '--older-than', '3d'],
      { from: 'user' },
    );
    newCmdRevoke(f, (opts: RevokeOptions) => (seen.push(opts), Promise.resolve(ok({ dryRun: true, results: [], counts: {} })))).parse(['x@y.example', '--dry-run'], { from: 'user' });
    expect(seen).toEqual([
      { emails: [], allPending: true, olderThan: 3 * 86400, dryRun: false },
      { emails: ['x@y.example'], dryRun: true },
    ]);
  });
});

describe.each(TERMINALS)('options → output, %s', (_label, tty) => {
  test('invite: one success line per address on stderr, nothing on stdout; --json on stdout', async () => {
    const { cli, mailer } = await fastWorkspace({ tty });
    const result = await cli(['invite', 'ada@partner.example', 'bob@partner.example']);
    expect(result).toEqual({ code: 0, stdout: '', stderr: '✓ Invite sent to ada@partner.example\n✓ Invite sent to bob@partner.example\n' });
    expect(mailer.sent.map((m) => m.to)).toEqual(['ada@partner.example', 'bob@partner.example']);
    const json = await cli(['invite', 'cy@partner.example', '--json']);
    expect(JSON.parse(json.stdout)).toMatchObject({ results: [{ email: 'cy@partner.example', outcome: 'invited', delivery: 'sent' }] });
    // Pretty for a person at a terminal, one line for a pipe.
    expect(json.stdout.trim().split('\n').length > 1).toBe(tty);
  });

  test('resend and revoke: their success lines; a dry run says what it would do', async () => {
    const { cli, mailer } = await fastWorkspace({ tty });
    await cli(['invite', 'ada@partner.example']);
    const first = mailer.tempPasswordFor('ada@partner.example');
    expect((await cli(['resend', 'ada@partner.example'])).stderr).toBe('✓ New invite sent to ada@partner.example\n');
    expect(mailer.tempPasswordFor('ada@partner.example')).not.toBe(first);
    expect((await cli(['revoke', 'ada@partner.example', '--dry-run'])).stderr).toBe('· would revoke ada@partner.example\ndry run: nothing was stored or sent\n');
    expect((await cli(['revoke', 'ada@partner.example'])).stderr).toBe('✓ Revoked the invite of ada@partner.example: its temporary password no longer works\n');
    expect((await cli(['resend', 'ada@partner.example'])).stderr).toMatch(/^✗ ada@partner\.example: the invite was revoked; invite them again/);
  });

  test('invite --csv: the summary line; a progress bar only on a terminal', async () => {
    // A clock that moves 2 ms per look, so the bar's 100 ms frames come round.
    const clock = new Clock();
    const moving = Object.assign(clock, { now: () => (clock.advance(2), new Date(clock.current.getTime())) });
    const { cli } = await fastWorkspace({ tty, clock: moving });
    const dir = tempDir();
    {
      const csv = path.join(dir, 'g.csv');
      fs.writeFileSync(csv, `email\n${Array.from({ length: 600 }, (_, i) => `g${i}@partner.example`).join('\n')}\n`);
      const result = await cli(['invite', '--csv', csv]);
      expect(result.code).toBe(0);
      expect(result.stderr).toMatch(/✓ Invited 600, skipped 0, failed 0 of 600 rows in [\d.]+ s\n$/);
      expect(result.stderr.includes('\r')).toBe(tty);
      if (tty) expect(result.stderr).toMatch(/\[#+-*\] \d+% [\d,]+ rows/);
    }
  });

  test('outbox list: counts on stderr, the messages on stdout (a table on a terminal, TSV piped)', async () => {
    const { cli } = await fastWorkspace({ tty });
    await cli(['invite', 'ada@partner.example']);
    const list = await cli(['outbox', 'list']);
    expect(list.stderr).toBe('queued 0, sending 0, sent 1, failed 0, unknown 0\n');
    if (tty) expect(list.stdout).toMatch(/^TO\s+SEND\s+STATE\s+ATTEMPTS\s+SENT\s+NEXT TRY\s+LAST ERROR\s*\nada@partner\.example\s+1\s+sent\s+1\s+/);
    else expect(list.stdout.split('\t').slice(0, 3)).toEqual(['ada@partner.example', '1', 'sent']);
  });
});

test('invite --csv --json on a terminal: the streamed report is one indented JSON object, results first and in line order', async () => {
  const { cli } = await fastWorkspace({ tty: true });
  const file = path.join(tempDir(), 'guests.csv');
  fs.writeFileSync(file, 'email\na@p.example\nbad\nb@p.example\n');
  const result = await cli(['invite', '--csv', file, '--json']);
  expect(result.stdout.startsWith('{\n  "results": [\n    {"line":2,')).toBe(true);
  const report = JSON.parse(result.stdout) as { results: { line: number }[]; counts: Record<string, number> };
  expect(report.results.map((r) => r.line)).toEqual([2, 3, 4]);
  expect(report.counts).toEqual({ invited: 2, queued: 0, skipped: 0, failed: 1, duplicates: 0 });
});
