import { Writable } from 'node:stream';
import { fitWidths } from '../../src/output/print.js';
import { relativeTime } from '../../src/output/time.js';
import { DAY } from '../helpers.js';
import { fastWorkspace, type FastWorkspace } from './harness.js';

/**
 * A list that fits (issue 13): EMAIL, NAME, STATUS, PARTNER, INVITED, EXPIRES, DELIVERY on a
 * terminal, cut with … to its width and never wrapped; relative times for a person, ISO-8601
 * for scripts; --status as a comma list or repeated; --sort, --order, --limit; a next step
 * when nothing matched.
 */

const visible = (line: string) => [...line].length;

async function seeded(options: { tty?: boolean; columns?: number } = {}): Promise<FastWorkspace> {
  const ws = await fastWorkspace({ tty: options.tty ?? true, columns: options.columns });
  const ok = async (argv: string[]) => expect((await ws.cli(argv)).code).toBe(0);
  await ok(['partners', 'create', 'Northwind Creative Agency International']);
  await ok(['invite', 'ada@northwind.example', '--name', 'Augusta Ada', '--family-name', 'King-Noel, Countess of Lovelace', '--partner', 'Northwind Creative Agency International']);
  ws.clock.advance(DAY);
  await ok(['invite', 'bob@partner.example', '--name', 'Bob']);
  await ok(['invite', 'cy@other.example']);
  await ok(['revoke', 'cy@other.example']);
  ws.clock.advance(3 * DAY);
  return ws;
}

describe('on a terminal 80 columns wide', () => {
  test('the seven columns, cut with … to fit: no line wraps, names give way before emails', async () => {
    const { cli } = await seeded({ columns: 80 });
    const result = await cli(['list']);
    expect(result.code).toBe(0);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^EMAIL +NAME +STATUS +PARTNER +INVITED +EXPIRES +DELIVERY$/);
    for (const line of lines) expect(visible(line)).toBeLessThanOrEqual(80);
    // The email identifies the row: whole while the names can still give.
    expect(lines[1]).toMatch(/^ada@northwind\.example +Augus… +pending +Northw… +4 days ago +in 3 days +sent$/);
    expect(lines[2]).toMatch(/^bob@partner\.example +Bob +pending +3 days ago +in 4 days +sent$/);
    expect(lines[3]).toMatch(/^cy@other\.example +revoked +3 days ago +in 4 days +sent$/);
    // For the closing note: the table as an 80-column terminal shows it.
    process.stderr.write(`list at 80 columns:\n${result.stdout}`);
  });

  test('wide enough, nothing is cut; times are relative', async () => {
    const { cli } = await seeded({ columns: 200 });
    const result = await cli(['list']);
    expect(result.stdout).not.toContain('…');
    expect(result.stdout).toContain('Augusta Ada King-Noel, Countess of Lovelace');
    expect(result.stdout).toContain('Northwind Creative Agency International');
  });

  test('very narrow: the names give way to their floor, then the email, then the rest', async () => {
    const { cli } = await seeded({ columns: 60 });
    const lines = (await cli(['list'])).stdout.trimEnd().split('\n');
    expect(lines[1]).toMatch(/^ada@n… +Augus… +pending +Northw… /);
    for (const line of lines) expect(visible(line)).toBeLessThanOrEqual(60);
  });
});

test('piped and --json: every column, ISO-8601 times, nothing cut', async () => {
  const { cli, clock } = await seeded({ tty: false });
  const tsv = (await cli(['list'])).stdout.split('\n')[0]!.split('\t');
  expect(tsv.slice(0, 5)).toEqual(['ada@northwind.example', 'Augusta Ada', 'King-Noel, Countess of Lovelace', 'pending', 'Northwind Creative Agency International']);
  expect(tsv[7]).toBe(new Date(clock.current.getTime() - 4 * DAY).toISOString());
  const json = JSON.parse((await cli(['list', '--json'])).stdout) as { invitedAt: string }[];
  expect(json[0]!.invitedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
});

test('--status takes a comma list and may repeat; a bad value names the choices', async () => {
  const { cli, clock } = await seeded({ tty: false });
  const emails = async (...args: string[]) => (await cli(['list', ...args])).stdout.trimEnd().split('\n').filter(Boolean).map((l) => l.split('\t')[0]);
  expect(await emails('--status', 'pending,revoked')).toEqual(['ada@northwind.example', 'bob@partner.example', 'cy@other.example']);
  expect(await emails('--status', 'revoked', '--status', 'joined')).toEqual(['cy@other.example']);
  clock.advance(3.5 * DAY);
  expect(await emails('--status', 'expired,revoked')).toEqual(['ada@northwind.example', 'cy@other.example']);
  const bad = await cli(['list', '--status', 'pending,gone']);
  expect([bad.code, bad.stderr]).toEqual([2, expect.stringContaining('use one of pending, joined, expired, revoked')]);
});

test('--sort, --order and --limit', async () => {
  const { cli } = await seeded({ tty: false });
  const emails = async (...args: string[]) => (await cli(['list', ...args])).stdout.trimEnd().split('\n').map((l) => l.split('\t')[0]);
  expect(await emails('--sort', 'email')).toEqual(['ada@northwind.example', 'bob@partner.example', 'cy@other.example']);
  expect(await emails('--sort', 'email', '--order', 'desc', '--limit', '2')).toEqual(['cy@other.example', 'bob@partner.example']);
  expect(await emails('--sort', 'status', '--limit', '1')).toEqual(['ada@northwind.example']);
  const bad = await cli(['list', '--sort', 'age']);
  expect([bad.code, bad.stderr]).toEqual([2, expect.stringContaining('use one of invited, email, name, status, partner, expires')]);
  expect((await cli(['list', '--limit', '0'])).code).toBe(2);
});

test('--json with --csv is a usage error', async () => {
  const { cli } = await seeded({ tty: false });
  const result = await cli(['list', '--json', '--csv']);
  expect([result.code, result.stdout, result.stderr]).toEqual([2, '', 'cerby-guests: give one of --json or --csv\n']);
});

test('nothing matched: the next step, on a terminal only', async () => {
  const { cli } = await seeded();
  const filtered = await cli(['list', '--status', 'joined']);
  expect([filtered.stdout, filtered.stderr]).toEqual(['', 'no guests match these filters: try fewer, or `cerby-guests --db fast.db --smtp smtp://fake.invalid:587 list` for everyone\n']);
  const piped = await cli(['list', '--status', 'joined'], { tty: false });
  expect([piped.stdout, piped.stderr]).toEqual(['', '']);
});

test('relative times read as a person says them', () => {
  const now = new Date('2026-11-23T12:00:00Z');
  const at = (ms: number) => new Date(now.getTime() + ms).toISOString();
  expect(relativeTime(at(-20_000), now)).toBe('just now');
  expect(relativeTime(at(-5 * 60_000), now)).toBe('5 minutes ago');
  expect(relativeTime(at(-3 * DAY), now)).toBe('3 days ago');
  expect(relativeTime(at(6 * DAY + 3_600_000), now)).toBe('in 6 days');
  expect(relativeTime(at(7 * DAY), now)).toBe('in 1 week');
  expect(relativeTime(at(40 * DAY), now)).toBe('in 1 month');
  expect(relativeTime(at(-400 * DAY), now)).toBe('1 year ago');
});

test('fitWidths cuts the first rank before the last, never below a floor', () => {
  // 30 + 20 + 10 + 2 gaps of 2 = 64 into 50: the rank-0 column gives down to its floor (8), then rank 1.
  expect(fitWidths([30, 20, 10], [8, 8, 10], [1, 0, undefined], 50)).toEqual([28, 8, 10]);
  expect(fitWidths([30, 20, 10], [8, 8, 10], [1, 0, undefined], 20)).toEqual([8, 8, 10]);
  expect(fitWidths([10, 10], [8, 8], [undefined, undefined], 5)).toEqual([10, 10]);
});

describe('times are the same in every command: relative on a terminal, ISO-8601 piped', () => {
  test('show, outbox list and members list', async () => {
    for (const tty of [true, false]) {
      const { cli, clock } = await fastWorkspace({ tty, columns: 120 });
      await cli(['invite', 'ada@partner.example']);
      const invitedAt = clock.current.toISOString();
      clock.advance(2 * DAY);
      const show = (await cli(['show', 'ada@partner.example'])).stdout;
      const outbox = (await cli(['outbox', 'list'])).stdout;
      const members = (await cli(['members', 'list'])).stdout;
      if (tty) {
        expect(show).toMatch(/\nlast sent +2 days ago\n/);
        expect(outbox).toMatch(/ada@partner\.example +1 +sent +1 +2 days ago\n/);
        expect(members).toMatch(/owner@acme\.example +owner +2 days ago\n/);
      } else {
        expect(show).toContain(`\nlast sent        ${invitedAt}\n`);
        expect(outbox.split('\t')[4]).toBe(invitedAt);
        expect(members.split('\t')[3]?.trim()).toBe(invitedAt);
      }
    }
  });

  test('show of an invite whose email was never sent says so, not "last sent"', async () => {
    const { cli, mailer } = await fastWorkspace({ tty: true });
    mailer.failures.push(Object.assign(new Error('554 5.7.1 relay denied'), { responseCode: 554, response: '554 5.7.1 relay denied' }));
    await cli(['invite', 'ada@partner.example']);
    expect((await cli(['show', 'ada@partner.example'])).stdout).toMatch(/\nlast sent +never \(failed\)\n/);
  });

  test('an empty outbox, partners list, accounts list and import list say what to do next', async () => {
    const { cli } = await fastWorkspace({ tty: true });
    expect((await cli(['outbox', 'list'])).stderr).toContain('no emails yet: they are recorded by `invite` and `resend`');
    expect(await cli(['partners', 'list'])).toMatchObject({ stdout: '', stderr: expect.stringContaining('no partners yet: create one with `cerby-guests') });
    expect(await cli(['accounts', 'list'])).toMatchObject({ stdout: '', stderr: expect.stringContaining('no accounts yet: add one with `cerby-guests') });
    expect(await cli(['import', 'list'])).toMatchObject({ stdout: '', stderr: expect.stringContaining('no migrations yet: import one with `cerby-guests') });
  });
});

describe('a slow reader (a pipe that fills up)', () => {
  test('list --json waits for it to drain: never more than a chunk queued, and every row arrives', async () => {
    const { cli, store } = await fastWorkspace({ tty: false });
    const at = '2026-11-23T10:00:00.000Z';
    await store.write((tx) =>
      tx.guests.insertMany(
        Array.from({ length: 12000 }, (_, i) => ({ email: `guest${i}@partner.example`, emailKey: `guest${i}@partner.example`, name: `Guest ${i}`, familyName: null, invitedBy: 'owner@acme.example', invitedVia: 'members' as const, message: null, invitedAt: at, expiresAt: '2026-11-30T10:00:00.000Z' })),
      ),
    );
    const chunks: Buffer[] = [];
    let mostQueued = 0;
    // Takes one chunk per turn of the event loop, like a pipe whose reader is busy.
    const slow = new Writable({
      highWaterMark: 16 * 1024,
      write(chunk: Buffer, _encoding, done) {
        chunks.push(chunk);
        setImmediate(done);
      },
    });
    const write = slow.write.bind(slow);
    slow.write = ((chunk: unknown, ...rest: unknown[]) => {
      const more = (write as (...args: unknown[]) => boolean)(chunk, ...rest);
      mostQueued = Math.max(mostQueued, slow.writableLength);
      return more;
    }) as typeof slow.write;
    const result = await cli(['list', '--json'], { stdout: slow });
    expect(result.code).toBe(0);
    const rows = JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown[];
    expect(rows).toHaveLength(12000);
    // The whole output is ~2.4 MB; one chunk is 512 KB (plus the row that crossed it).
    expect(Buffer.concat(chunks).length).toBeGreaterThan(2_000_000);
    expect(mostQueued).toBeLessThan(600 * 1024);
  });
});
