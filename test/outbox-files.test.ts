import fs from 'node:fs';
import path from 'node:path';
import { simpleParser } from 'mailparser';
import { classifySendError, describeSendError } from '../src/delivery/classify.js';
import { fileStemFor } from '../src/mail/mailer.js';
import { tempPasswordFrom, workspace } from './helpers.js';

/** The outbox folder's entries; never a temporary file left behind. */
function outboxEntries(dir: string): string[] {
  const folder = path.join(dir, 'guests.outbox');
  const names = fs.existsSync(folder) ? fs.readdirSync(folder).sort() : [];
  expect(names.filter((n) => n.endsWith('.tmp'))).toEqual([]);
  return names;
}

/** The file the success line of `email` names. */
function fileNamedFor(stderr: string, email: string): string {
  const line = stderr.split('\n').find((l) => l.includes(`Invite for ${email} written to `));
  if (!line) throw new Error(`no success line for ${email} in:\n${stderr}`);
  return /written to (.+\.eml) \(no SMTP configured\)$/.exec(line)![1]!;
}

async function readEml(file: string) {
  const parsed = await simpleParser(fs.readFileSync(file));
  return { username: /Username:\s+(\S+)/.exec(parsed.text!)![1]!, password: tempPasswordFrom(parsed.text!), to: parsed.to };
}

async function outboxStates(cli: Awaited<ReturnType<typeof workspace>>['cli']): Promise<Record<string, string>> {
  const listing = JSON.parse((await cli(['outbox', 'list', '--json'])).stdout) as { messages: { recipient: string; state: string }[] };
  return Object.fromEntries(listing.messages.map((m) => [m.recipient, m.state]));
}

describe('file names', () => {
  test('the outbox id, then a readable, truncated form of the address', () => {
    expect(fileStemFor("O'Brien@X.example", 123)).toBe('000123-o_brien@x.example');
    expect(fileStemFor('jörg@x.example', 7)).toBe('000007-j_rg@x.example');
    expect(fileStemFor('a@x.example', 12345678)).toBe('12345678-a@x.example');
    for (const hostile of ['😀'.repeat(300), `${'ö'.repeat(64)}@${'d'.repeat(63)}.${'e'.repeat(63)}.example`, '../../etc/passwd', 'x/y\0z']) {
      const name = `${fileStemFor(hostile, Number.MAX_SAFE_INTEGER)}.eml`;
      expect(Buffer.byteLength(name)).toBeLessThanOrEqual(255);
      expect(name).toMatch(/^\d+-[a-z0-9@._+-]+\.eml$/);
    }
  });

  test('one .eml that cannot be written fails that message only; a folder problem stops the run', () => {
    expect(classifySendError(Object.assign(new Error('cannot write the .eml file /o/x.eml: ENOSPC'), { code: 'EMESSAGEFILE' }))).toBe('permanent');
    expect(describeSendError(Object.assign(new Error('cannot write the .eml file /o/x.eml: ENOSPC'), { code: 'EMESSAGEFILE' }))).toBe(
      'cannot write the .eml file /o/x.eml: ENOSPC',
    );
    expect(classifySendError(Object.assign(new Error('the outbox folder is a symbolic link'), { code: 'ECONFIG' }))).toBe('fatal');
  });
});

describe('outbox files cannot collide', () => {
  test("o'brien@ and o_brien@ each get their own file, with their own username and password", async () => {
    const { cli, dir } = await workspace();
    const first = await cli(['invite', "o'brien@x.example"]);
    const second = await cli(['invite', 'o_brien@x.example']);
    expect([first.code, second.code]).toEqual([0, 0]);
    const a = fileNamedFor(first.stderr, "o'brien@x.example");
    const b = fileNamedFor(second.stderr, 'o_brien@x.example');
    expect(a).not.toBe(b);
    const [ea, eb] = [await readEml(a), await readEml(b)];
    expect(ea.username).toBe("o'brien@x.example");
    expect(eb.username).toBe('o_brien@x.example');
    expect(ea.password).not.toBe(eb.password);
    expect(outboxEntries(dir)).toEqual([path.basename(a), path.basename(b)].sort());
    expect(path.basename(a)).toMatch(/^\d{6}-o_brien@x\.example\.eml$/);
    expect(await outboxStates(cli)).toEqual({ "o'brien@x.example": 'sent', 'o_brien@x.example': 'sent' });
  });

  test('jörg@, jürg@ and j_rg@ in one run: three files, each its own recipient', async () => {
    const { cli, dir } = await workspace();
    const result = await cli(['invite', 'jörg@x.example', 'jürg@x.example', 'j_rg@x.example']);
    expect(result.code).toBe(0);
    const emails = ['jörg@x.example', 'jürg@x.example', 'j_rg@x.example'];
    const files = emails.map((email) => fileNamedFor(result.stderr, email));
    expect(new Set(files).size).toBe(3);
    const read = await Promise.all(files.map(readEml));
    expect(read.map((r) => r.username)).toEqual(emails);
    expect(new Set(read.map((r) => r.password)).size).toBe(3);
    for (const file of files) expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(outboxEntries(dir)).toEqual(files.map((f) => path.basename(f)).sort());
  });

  test('a valid 254-character address gets a file name of at most 255 bytes', async () => {
    const email = `${'l'.repeat(64)}@${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(53)}.example`;
    expect(email).toHaveLength(254);
    const { cli, dir } = await workspace();
    const result = await cli(['invite', email]);
    expect(result.code).toBe(0);
    const file = fileNamedFor(result.stderr, email);
    expect(Buffer.byteLength(path.basename(file))).toBeLessThanOrEqual(255);
    expect((await readEml(file)).username).toBe(email);
    expect(outboxEntries(dir)).toEqual([path.basename(file)]);
    expect((await cli(['outbox', 'flush'])).code).toBe(0);
  });

  test('a file already at the target name is never overwritten: that message fails, the next one is sent', async () => {
    const { cli, dir } = await workspace();
    const folder = path.join(dir, 'guests.outbox');
    fs.mkdirSync(folder, { mode: 0o700 });
    // The first invite of a fresh workspace is outbox message 1.
    const taken = path.join(folder, `${fileStemFor('taken@x.example', 1)}.eml`);
    fs.writeFileSync(taken, 'somebody else’s file\n', { mode: 0o600 });
    const result = await cli(['invite', 'taken@x.example', 'free@x.example']);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/Invite for taken@x\.example saved but not sent \(delivery failed\): cannot write the \.eml file .*: EEXIST/);
    const free = fileNamedFor(result.stderr, 'free@x.example');
    expect((await readEml(free)).username).toBe('free@x.example');
    expect(fs.readFileSync(taken, 'utf8')).toBe('somebody else’s file\n');
    expect(await outboxStates(cli)).toEqual({ 'taken@x.example': 'failed', 'free@x.example': 'sent' });
    const flush = await cli(['outbox', 'flush']);
    expect(flush.code).toBe(0);
    expect(flush.stderr).toMatch(/nothing is due/);
    expect(outboxEntries(dir)).toEqual([path.basename(taken), path.basename(free)].sort());
  });
});

describe('the outbox folder', () => {
  test('a symbolic link is refused with one line, and nothing is written through it', async () => {
    const { cli, dir } = await workspace();
    const elsewhere = path.join(dir, 'elsewhere');
    fs.mkdirSync(elsewhere);
    fs.chmodSync(elsewhere, 0o755);
    fs.symlinkSync(elsewhere, path.join(dir, 'guests.outbox'));
    const result = await cli(['invite', 'guest@x.example']);
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/the outbox folder .*guests\.outbox is a symbolic link: refusing to write through it/);
    expect(fs.readdirSync(elsewhere)).toEqual([]);
    expect(fs.statSync(elsewhere).mode & 0o777).toBe(0o755);
    // Not lost: the invite waits in the queue for a usable folder.
    expect(await outboxStates(cli)).toEqual({ 'guest@x.example': 'queued' });
    const doctor = await cli(['doctor']);
    expect(doctor.stdout + doctor.stderr).toMatch(/outbox folder .*symbolic link/);
    expect(fs.readdirSync(elsewhere)).toEqual([]);
  });

  test('something else at the folder’s path is refused', async () => {
    const { cli, dir } = await workspace();
    fs.writeFileSync(path.join(dir, 'guests.outbox'), 'a file\n');
    const result = await cli(['invite', 'guest@x.example']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/guests\.outbox is not a folder/);
    expect(fs.readFileSync(path.join(dir, 'guests.outbox'), 'utf8')).toBe('a file\n');
  });

  test('a folder open to others is tightened to 0700, and said so', async () => {
    const { cli, dir } = await workspace();
    const folder = path.join(dir, 'guests.outbox');
    fs.mkdirSync(folder);
    fs.chmodSync(folder, 0o755);
    const result = await cli(['invite', 'guest@x.example']);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain(`fixed permissions of ${folder}: 0755 → 0700`);
    expect(fs.statSync(folder).mode & 0o777).toBe(0o700);
    expect(outboxEntries(dir)).toHaveLength(1);
    // Said once: the next run finds it private.
    expect((await cli(['invite', 'other@x.example'])).stderr).not.toContain('fixed permissions');
  });

  test('a folder created for the first message is 0700', async () => {
    const { cli, dir } = await workspace();
    expect((await cli(['invite', 'guest@x.example'])).code).toBe(0);
    expect(fs.statSync(path.join(dir, 'guests.outbox')).mode & 0o777).toBe(0o700);
    expect(outboxEntries(dir)).toHaveLength(1);
  });
});
