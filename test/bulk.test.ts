import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { startSmtp, tempDir, workspace, type TestSmtp } from './helpers.js';

const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'csv');
const fixture = (name: string) => path.join(FIXTURES, name);

let smtp: TestSmtp;
beforeEach(async () => {
  smtp = await startSmtp({ onRcpt: (a) => (a.startsWith('reject') ? { code: 550, message: 'Mailbox unavailable' } : undefined) });
});
afterEach(async () => {
  await smtp.close();
});

type Row = { line: number; email: string; outcome: string; reason?: string; delivery?: string };

async function bulk(file: string, extra: string[] = [], options: { stdin?: PassThrough } = {}) {
  const ws = await workspace({ smtp: smtp.url });
  const result = await ws.cli(['invite', '--csv', file, '--json', ...extra], options);
  const report = result.stdout ? JSON.parse(result.stdout) : undefined;
  return { ...ws, result, report, rows: (report?.results ?? []) as Row[] };
}

const guests = async (cli: (argv: string[]) => Promise<{ stdout: string }>) =>
  JSON.parse((await cli(['list', '--json'])).stdout) as { email: string; name: string; familyName: string }[];

describe('invite --csv: formats', () => {
  test('BOM, CRLF, quoted comma/newline/doubled quotes; unknown columns ignored with one warning', async () => {
    const { result, rows, cli } = await bulk(fixture('plain-bom-crlf.csv'));
    expect(result.code).toBe(0);
    expect(rows.map((r) => [r.line, r.email, r.outcome, r.delivery])).toEqual([
      [2, 'ada@partner.example', 'invited', 'sent'],
      [4, 'bob@partner.example', 'invited', 'sent'],
    ]);
    expect(result.stderr.match(/ignoring column/g)).toHaveLength(1);
    expect(result.stderr).toContain('"Department"');
    const ada = smtp.messages.find((m) => m.to[0] === 'ada@partner.example')!;
    expect(ada.parsed.text).toContain('> Welcome, Ada!\n> See you "soon".');
    expect((await guests(cli)).map((g) => [g.email, g.name, g.familyName])).toEqual([
      ['ada@partner.example', 'Ada', 'Lovelace'],
      ['bob@partner.example', 'Bob', null],
    ]);
  });

  test('semicolon-delimited (Excel in many locales), UTF-8 names', async () => {
    const { result, cli } = await bulk(fixture('semicolon.csv'));
    expect(result.code).toBe(0);
    expect((await guests(cli)).map((g) => [g.email, g.familyName])).toEqual([
      ['ana@partner.example', 'García'],
      ['luis@partner.example', 'Pérez; Jr.'],
    ]);
  });

  test('the Microsoft Entra bulk-invite template', async () => {
    const { result, rows } = await bulk(fixture('entra.csv'));
    expect(result.code).toBe(0);
    expect(rows.map((r) => [r.line, r.email, r.outcome])).toEqual([
      [3, 'entra1@partner.example', 'invited'],
      [4, 'entra2@partner.example', 'skipped'],
      [5, 'entra3@partner.example', 'invited'],
    ]);
    expect(rows[1]!.reason).toMatch(/Send invitation message.*false/);
    expect(smtp.messages.map((m) => m.to[0]).sort()).toEqual(['entra1@partner.example', 'entra3@partner.example']);
    expect(smtp.messages.find((m) => m.to[0] === 'entra1@partner.example')!.parsed.text).toContain('> Hello from Entra');
  });

  test('standard input with -', async () => {
    const stdin = new PassThrough();
    stdin.end('email\nstdin1@partner.example\nstdin2@partner.example\n');
    const { result, rows, dir } = await bulk('-', [], { stdin });
    expect(result.code).toBe(0);
    expect(rows.map((r) => r.outcome)).toEqual(['invited', 'invited']);
    expect(fs.readdirSync(dir).filter((f) => f.includes('stdin'))).toEqual([]);
  });
});

describe('invite --csv: rows one by one', () => {
  test('bad rows in the middle are reported with line and reason and do not stop the others: exit 3', async () => {
    const { result, rows, report } = await bulk(fixture('bad-rows.csv'));
    expect(result.code).toBe(3);
    expect(rows.map((r) => [r.line, r.outcome])).toEqual([
      [2, 'invited'],
      [3, 'failed'],
      [4, 'failed'],
      [5, 'failed'],
      [6, 'failed'],
      [7, 'invited'],
    ]);
    expect(rows[1]!.reason).toMatch(/invalid email address/);
    expect(rows[2]!.reason).toBe('no email address');
    expect(rows[3]!.reason).toMatch(/control characters/);
    expect(rows[4]!.reason).toMatch(/unknown role "wizard"/);
    expect(report.counts).toEqual({ invited: 2, queued: 0, skipped: 0, failed: 4, duplicates: 0 });
    expect(result.stderr).toContain('✗ line 3: not-an-email: invalid email address');
    expect(result.stderr).toMatch(/invited 2, skipped 0, failed 4 of 6 rows/);
    expect(smtp.messages.map((m) => m.to[0]).sort()).toEqual(['good1@partner.example', 'good2@partner.example']);
  });

  test('duplicates within the file are reported once and invited once', async () => {
    const { result, report, rows } = await bulk(fixture('duplicates.csv'));
    expect(result.code).toBe(0);
    expect(report.duplicates).toEqual([{ email: 'one@partner.example', lines: [2, 3, 5] }]);
    expect(result.stderr.match(/listed more than once/g)).toHaveLength(1);
    expect(rows.filter((r) => r.outcome === 'invited').map((r) => r.email)).toEqual(['one@partner.example', 'two@partner.example']);
    expect(smtp.messages).toHaveLength(2);
  });

  test('re-running the same file sends nothing new; pending rows are skipped', async () => {
    const { cli } = await bulk(fixture('plain-bom-crlf.csv'));
    expect(smtp.messages).toHaveLength(2);
    const again = await cli(['invite', '--csv', fixture('plain-bom-crlf.csv'), '--json']);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout).counts).toEqual({ invited: 0, queued: 0, skipped: 2, failed: 0, duplicates: 0 });
    expect(smtp.messages).toHaveLength(2);
  });

  test('a 5xx for one recipient fails that row only', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'r.csv');
    fs.writeFileSync(file, 'email\nok1@partner.example\nreject@partner.example\nok2@partner.example\n');
    const { result, rows } = await bulk(file, ['--concurrency', '2']);
    expect(result.code).toBe(3);
    expect(rows.map((r) => [r.email, r.outcome, r.delivery])).toEqual([
      ['ok1@partner.example', 'invited', 'sent'],
      ['reject@partner.example', 'failed', 'failed'],
      ['ok2@partner.example', 'invited', 'sent'],
    ]);
    expect(rows[1]!.reason).toMatch(/550/);
  });

  test('--dry-run validates every row and stores and sends nothing', async () => {
    const { result, report, cli } = await bulk(fixture('bad-rows.csv'), ['--dry-run']);
    expect(result.code).toBe(3);
    expect(report.dryRun).toBe(true);
    expect(report.counts).toEqual({ invited: 2, queued: 0, skipped: 0, failed: 4, duplicates: 0 });
    expect(report.results[0].outcome).toBe('would-invite');
    expect(smtp.messages).toHaveLength(0);
    expect(await guests(cli)).toEqual([]);
  });

  test('piped stderr has no progress animation', async () => {
    const { result } = await bulk(fixture('semicolon.csv'));
    expect(result.stderr).not.toContain('\r');
  });
});

describe('invite --csv: file-level errors exit 2 and store nothing', () => {
  test.each([
    ['empty.csv', /empty/],
    ['no-email-header.csv', /no email column \(found: "name", "family_name"\)/],
    ['unclosed-quote.csv', /unclosed quote/],
    ['latin1.csv', /not UTF-8/],
    ['binary.csv', /binary|not UTF-8/],
    ['does-not-exist.csv', /no such file/],
  ])('%s', async (name, message) => {
    const { result, cli } = await bulk(fixture(name));
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(smtp.messages).toHaveLength(0);
    expect(await guests(cli)).toEqual([]);
  });

  test('a folder says it is a folder, not "no such file"', async () => {
    const { result } = await bulk(tempDir());
    expect([result.code, result.stderr]).toEqual([2, expect.stringMatching(/^cerby-guests: cannot read the CSV file .*: it is a folder, not a file\n$/)]);
  });
});

describe('invite --csv: a record longer than 64 KiB is refused at once (the bench times 50 MB)', () => {
  test.each([
    ['a data line without a newline', `email\n${'x'.repeat(3 << 20)}`],
    ['a header line', 'e'.repeat(3 << 20)],
    ['a data line followed by a good row', `email\n${'y'.repeat(3 << 20)}\nok@partner.example\n`],
    ['a quoted field that never ends its record', `email\n"${'z'.repeat(3 << 20)}`],
  ])('%s: exit 2, one line, nothing stored', async (_name, content) => {
    const file = path.join(tempDir(), 'hostile.csv');
    fs.writeFileSync(file, content);
    const { result, cli } = await bulk(file);
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/has a record longer than 65,536 characters at line \d+: a broken or hostile file|unclosed quote/);
    expect(await guests(cli)).toEqual([]);
  });
});

describe('invite --csv --json streams each row as it becomes final, in file order', () => {
  test('200 rows over 4 connections, with bad rows and duplicates among them: one object, results in line order', async () => {
    const file = path.join(tempDir(), 'mixed.csv');
    const rows = Array.from({ length: 200 }, (_, i) => (i % 17 === 5 ? 'not-an-address' : i % 23 === 7 ? 'g0@partner.example' : `g${i}@partner.example`));
    fs.writeFileSync(file, `email\n${rows.join('\n')}\n`);
    const { result, report } = await bulk(file, ['--concurrency', '4']);
    expect(result.code).toBe(3);
    const lines = (report.results as Row[]).map((r) => r.line);
    expect(lines).toEqual(Array.from({ length: 200 }, (_, i) => i + 2));
    expect(report.counts.failed).toBe(rows.filter((r) => r === 'not-an-address').length);
    expect(report.duplicates).toEqual([{ email: 'g0@partner.example', lines: [2, ...rows.flatMap((r, i) => (r === 'g0@partner.example' && i > 0 ? [i + 2] : []))] }]);
    expect(Object.keys(report)).toEqual(['results', 'dryRun', 'rows', 'counts', 'duplicates', 'seconds']);
  });
});

describe('invite --csv from a pipe (a FIFO, as `--csv <(…)` gives)', () => {
  test('is read once, spooled, and every row invited', async () => {
    const fifo = path.join(tempDir(), 'guests.csv');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    // The writer blocks until the CLI opens the pipe to read it.
    const writer = fs.promises.writeFile(fifo, 'email\nann@partner.example\nbob@partner.example\n');
    const [{ result, rows }] = await Promise.all([bulk(fifo), writer]);
    expect(result.code).toBe(0);
    expect(rows.map((r) => r.email)).toEqual(['ann@partner.example', 'bob@partner.example']);
  });
});
