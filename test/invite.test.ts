import fs from 'node:fs';
import path from 'node:path';
import { simpleParser } from 'mailparser';
import { openStore } from '../src/store/store.js';
import { checkTempPassword } from '../src/join/signin.js';
import { DAY, startDownServer, startSmtp, tempPasswordFrom, workspace, type TestSmtp } from './helpers.js';

let smtp: TestSmtp;
beforeEach(async () => {
  smtp = await startSmtp();
});
afterEach(async () => {
  await smtp.close();
});

async function verify(db: string, email: string, password: string, now: Date) {
  const store = openStore(db, { create: false });
  try {
    return (await checkTempPassword(store, (await store.workspace.get())!, email, password, now.toISOString())).verdict;
  } finally {
    await store.close();
  }
}

describe('invite over SMTP', () => {
  test('the email carries everything SPEC §3 names, as received by a real SMTP server', async () => {
    const { cli, clock } = await workspace({ smtp: smtp.url });
    const result = await cli(['invite', 'Guest@Partner.example', '--name', 'Ada', '--message', 'Welcome aboard']);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('✓ Invite sent to Guest@Partner.example');
    expect(result.stdout).toBe('');
    expect(smtp.messages).toHaveLength(1);
    const mail = smtp.messages[0]!;
    expect(mail.to.map((a) => a.toLowerCase())).toEqual(['guest@partner.example']);
    expect(mail.from).toBe('no-reply@acme.example');
    const { parsed } = mail;
    expect(parsed.subject).toBe('owner@acme.example invited you to join Acme on Cerby');
    // Opaque and random: no guest id, no count.
    expect(parsed.messageId).toMatch(/^<[0-9a-f]{32}@acme\.example>$/);
    expect(parsed.headers.get('auto-submitted')).toBe('auto-generated');
    expect(parsed.replyTo?.text).toBe('owner@acme.example');
    const text = parsed.text!;
    expect(text).toContain('Hello Ada,');
    expect(text).toContain('Workspace name:     Acme');
    expect(text).toContain('Username:           Guest@Partner.example');
    expect(tempPasswordFrom(text)).toMatch(/^[A-Za-z0-9]{24}$/);
    expect(text).toMatch(/Join as a guest: https:\/\/cerby\.localhost\/guest\/join\?invite=[A-Za-z0-9_-]{24}&username=Guest%40Partner\.example/);
    // 7 days from the clock's 2026-11-23 10:00 UTC, in words and in UTC.
    expect(clock.current.toISOString()).toBe('2026-11-23T10:00:00.000Z');
    expect(text).toContain('This invitation expires in 7 days, on Monday 30 November 2026 at 10:00 UTC.');
    expect(text).toContain('> Welcome aboard');
    expect(parsed.html).toContain('>Join as a guest</a>');
    expect(parsed.html).toContain(tempPasswordFrom(text));
  });

  test('a hostile name and message are escaped in HTML and cannot add headers', async () => {
    const { cli } = await workspace({ smtp: smtp.url });
    const hostile = '<script>alert("x")</script> & <img src=x onerror=alert(1)>';
    const result = await cli(['invite', 'guest@partner.example', '--name', '<b>Eve</b>', '--message', hostile]);
    expect(result.code).toBe(0);
    const { parsed, raw } = smtp.messages[0]!;
    expect(parsed.html).not.toContain('<script>');
    expect(parsed.html).not.toContain('<img');
    expect(parsed.html).not.toContain('<b>Eve');
    expect(parsed.html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;img src=x onerror=alert(1)&gt;');
    expect(parsed.text).toContain(hostile);
    expect(raw.split(/\r?\n\r?\n/)[0]).not.toMatch(/^Bcc:/im);
  });

  test.each([
    ['a CR/LF in the message', ['--message', 'hi\r\nBcc: victim@evil.example']],
    ['a NUL in the name', ['--name', 'Ev\u0000e']],
    ['a newline in the name', ['--name', 'Eve\nBcc: x@evil.example']],
  ])('%s is refused with exit 2, nothing stored or sent', async (_what, args) => {
    const { cli } = await workspace({ smtp: smtp.url });
    const result = await cli(['invite', 'guest@partner.example', ...args]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/control characters/);
    expect(smtp.messages).toHaveLength(0);
    expect(JSON.parse((await cli(['list', '--json'])).stdout)).toEqual([]);
  });

  test.each([
    ['no @', 'guest.partner.example'],
    ['over-long', `${'a'.repeat(60)}@${'b'.repeat(200)}.example`],
    ['local part over 64', `${'a'.repeat(65)}@partner.example`],
    ['display name', 'Eve <eve@partner.example>'],
  ])('an invalid address (%s) stops the whole run before anything is stored', async (_what, bad) => {
    const { cli } = await workspace({ smtp: smtp.url });
    const result = await cli(['invite', 'ok@partner.example', bad]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/invalid email address/);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(smtp.messages).toHaveLength(0);
    expect(JSON.parse((await cli(['list', '--json'])).stdout)).toEqual([]);
  });

  test('inviting a pending address again sends nothing and keeps its password', async () => {
    const { cli, db, clock } = await workspace({ smtp: smtp.url });
    await cli(['invite', 'guest@partner.example']);
    const password = tempPasswordFrom(smtp.messages[0]!.parsed.text!);
    const again = await cli(['invite', 'GUEST@partner.example']);
    expect(again.code).toBe(0);
    expect(again.stderr).toMatch(/skipped guest@partner\.example: already has a pending invite.*resend/);
    expect(smtp.messages).toHaveLength(1);
    expect(await verify(db, 'guest@partner.example', password, clock.now())).toBe('ok');
  });

  test('inviting a workspace member is a clear error (exit 2)', async () => {
    const { cli } = await workspace({ smtp: smtp.url });
    const result = await cli(['invite', 'OWNER@acme.example']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/already a member of the workspace \(owner\)/);
    expect(smtp.messages).toHaveLength(0);
  });

  test('several addresses: one refused, one invited → exit 3 and --json per address', async () => {
    const { cli } = await workspace({ smtp: smtp.url });
    const result = await cli(['invite', 'a@partner.example', 'owner@acme.example', 'A@partner.example', '--json']);
    expect(result.code).toBe(3);
    const report = JSON.parse(result.stdout);
    expect(report.results).toEqual([
      expect.objectContaining({ email: 'a@partner.example', outcome: 'invited', delivery: 'sent' }),
      expect.objectContaining({ email: 'owner@acme.example', outcome: 'failed' }),
    ]);
    expect(smtp.messages).toHaveLength(1);
  });

  test('--dry-run validates and reports but stores and sends nothing', async () => {
    const { cli } = await workspace({ smtp: smtp.url });
    const result = await cli(['invite', 'guest@partner.example', '--dry-run', '--json']);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout).results).toEqual([{ email: 'guest@partner.example', outcome: 'would-invite' }]);
    expect(smtp.messages).toHaveLength(0);
    expect(JSON.parse((await cli(['list', '--json'])).stdout)).toEqual([]);
  });

  test('the store never holds the temporary password, only its keyed hash', async () => {
    const { cli, db } = await workspace({ smtp: smtp.url });
    await cli(['invite', 'guest@partner.example']);
    await cli(['resend', 'guest@partner.example']);
    for (const mail of smtp.messages) {
      const password = tempPasswordFrom(mail.parsed.text!);
      for (const file of [db, `${db}-wal`]) {
        if (fs.existsSync(file)) expect(fs.readFileSync(file).includes(password)).toBe(false);
      }
    }
  });
});

describe('resend and revoke', () => {
  test('resend sends a new password; the old one stops working', async () => {
    const { cli, db, clock } = await workspace({ smtp: smtp.url });
    await cli(['invite', 'guest@partner.example']);
    const first = tempPasswordFrom(smtp.messages[0]!.parsed.text!);
    clock.advance(DAY);
    const result = await cli(['resend', 'guest@partner.example']);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('✓ New invite sent to guest@partner.example');
    expect(smtp.messages).toHaveLength(2);
    const second = tempPasswordFrom(smtp.messages[1]!.parsed.text!);
    expect(second).not.toBe(first);
    expect(smtp.messages[1]!.parsed.messageId).not.toBe(smtp.messages[0]!.parsed.messageId);
    expect(await verify(db, 'guest@partner.example', first, clock.now())).toBe('superseded');
    expect(await verify(db, 'guest@partner.example', second, clock.now())).toBe('ok');
    expect(await verify(db, 'guest@partner.example', 'x'.repeat(24), clock.now())).toBe('wrong');
    const [row] = JSON.parse((await cli(['list', '--json'])).stdout);
    expect(row).toMatchObject({ sendCount: 2, lastSentAt: clock.current.toISOString() });
    expect(row.expiresAt).toBe(new Date(clock.current.getTime() + 7 * DAY).toISOString());
  });

  test('an expired invite can be resent and starts a new lifetime', async () => {
    const { cli, db, clock } = await workspace({ smtp: smtp.url });
    await cli(['invite', 'guest@partner.example']);
    clock.advance(8 * DAY);
    const old = tempPasswordFrom(smtp.messages[0]!.parsed.text!);
    expect(await verify(db, 'guest@partner.example', old, clock.now())).toBe('expired');
    expect(JSON.parse((await cli(['list', '--json', '--status', 'expired'])).stdout)).toHaveLength(1);
    const result = await cli(['resend', 'guest@partner.example']);
    expect(result.code).toBe(0);
    expect(await verify(db, 'guest@partner.example', tempPasswordFrom(smtp.messages[1]!.parsed.text!), clock.now())).toBe('ok');
    expect(JSON.parse((await cli(['list', '--json', '--status', 'pending'])).stdout)).toHaveLength(1);
  });

  test.each([
    ['unknown', [], /no invite for nobody@partner\.example/],
    ['revoked', [['revoke', 'nobody@partner.example']], /was revoked/],
  ])('resend of an %s guest is a clear error and sends nothing', async (_what, setup, message) => {
    const { cli } = await workspace({ smtp: smtp.url });
    if (setup.length) await cli(['invite', 'nobody@partner.example']);
    for (const argv of setup) expect((await cli(argv)).code).toBe(0);
    const before = smtp.messages.length;
    const result = await cli(['resend', 'nobody@partner.example']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(smtp.messages).toHaveLength(before);
  });

  test('revoke stops the temporary password at once', async () => {
    const { cli, db, clock } = await workspace({ smtp: smtp.url });
    await cli(['invite', 'guest@partner.example']);
    const password = tempPasswordFrom(smtp.messages[0]!.parsed.text!);
    const result = await cli(['revoke', 'guest@partner.example']);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('Revoked the invite of guest@partner.example');
    expect(await verify(db, 'guest@partner.example', password, clock.now())).toBe('revoked');
    expect(JSON.parse((await cli(['list', '--json'])).stdout)[0].status).toBe('revoked');
    const again = await cli(['invite', 'guest@partner.example']);
    expect(again.code).toBe(0);
    expect(smtp.messages).toHaveLength(2);
    expect(await verify(db, 'guest@partner.example', tempPasswordFrom(smtp.messages[1]!.parsed.text!), clock.now())).toBe('ok');
  });

  test('resend --all-pending --older-than picks only invites last sent before then', async () => {
    const { cli, clock } = await workspace({ smtp: smtp.url });
    await cli(['invite', 'old@partner.example']);
    clock.advance(4 * DAY);
    await cli(['invite', 'new@partner.example']);
    const result = await cli(['resend', '--all-pending', '--older-than', '3d', '--json']);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout).results.map((r: { email: string }) => r.email)).toEqual(['old@partner.example']);
    expect(smtp.messages.map((m) => m.to[0])).toEqual(['old@partner.example', 'new@partner.example', 'old@partner.example']);
  });
});

describe('delivery', () => {
  test('with no SMTP the email is an .eml file (0600) in the outbox folder beside the store', async () => {
    const { cli, dir } = await workspace();
    const result = await cli(['invite', 'guest@partner.example']);
    expect(result.code).toBe(0);
    const file = path.join(dir, 'guests.outbox', '000001-guest@partner.example.eml');
    expect(result.stderr).toContain(`Invite for guest@partner.example written to ${file}`);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    const parsed = await simpleParser(fs.readFileSync(file));
    expect(parsed.to).toMatchObject({ text: 'guest@partner.example' });
    expect(tempPasswordFrom(parsed.text!)).toHaveLength(24);
  });

  test('an unreachable SMTP server: exit 1, the invite stays recorded as queued, flush sends it later', async () => {
    const down = await startDownServer();
    const { cli, dir, clock } = await workspace({ smtp: down.url });
    const result = await cli(['invite', 'guest@partner.example']).finally(() => down.close());
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/saved but not sent \(delivery queued\): .*connection was closed/);
    expect(result.stderr).toContain('outbox flush');
    const [row] = JSON.parse((await cli(['list', '--json'])).stdout);
    expect(row).toMatchObject({ email: 'guest@partner.example', status: 'pending', delivery: 'queued' });

    // The server is up again (this test's own, on another port).
    clock.advance(60_000); // past the backoff
    const flush = await cli(['--smtp', smtp.url, 'outbox', 'flush']);
    expect(flush.code).toBe(0);
    expect(smtp.messages).toHaveLength(1);
    expect(JSON.parse((await cli(['list', '--json'])).stdout)[0].delivery).toBe('sent');
    // The flushed email carries a working password even though the first one never left.
    const store = openStore(path.join(dir, 'guests.db'), { create: false });
    const verdict = await checkTempPassword(store, (await store.workspace.get())!, 'guest@partner.example', tempPasswordFrom(smtp.messages[0]!.parsed.text!), clock.current.toISOString());
    await store.close();
    expect(verdict.verdict).toBe('ok');
  });

  test('a permanent 5xx marks delivery failed with the server reply', async () => {
    await smtp.close();
    smtp = await startSmtp({ onRcpt: (a) => (a.startsWith('bounce') ? { code: 550, message: 'No such mailbox' } : undefined) });
    const { cli } = await workspace({ smtp: smtp.url });
    const result = await cli(['invite', 'bounce@partner.example']);
    expect(result.code).toBe(1);
    const [row] = JSON.parse((await cli(['list', '--json'])).stdout);
    expect(row.delivery).toBe('failed');
    const show = JSON.parse((await cli(['show', 'bounce@partner.example', '--json'])).stdout);
    expect(show.messages[0].lastError).toMatch(/550.*No such mailbox/);
  });
});
