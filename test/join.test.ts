import fs from 'node:fs';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { Secret, TOTP } from 'otpauth';
import { REAL_COSTS } from '../src/crypto/costs.js';
import { hashPassword, verifyPassword } from '../src/crypto/password.js';
import { newTotpSecret, totpCode, totpStep, totpUri } from '../src/crypto/totp.js';
import { REAL_DECOY_HASH } from '../src/join/signin.js';
import { createPrompter, type Prompter } from '../src/prompter.js';
import { openStore } from '../src/store/store.js';
import { DAY, keyboard, tempPasswordFrom, workspace } from './helpers.js';

const PASSWORD = 'correct horse battery staple 42';
const GUEST = 'ada@partner.example';

async function invited(extra: Parameters<typeof workspace>[0] = {}) {
  const ws = await workspace(extra);
  const result = await ws.cli(['invite', GUEST]);
  if (result.code !== 0) throw new Error(result.stderr);
  const eml = path.join(ws.dir, 'guests.outbox', `000001-${GUEST}.eml`);
  return { ...ws, eml };
}

const fullFlags = ['--new-password', PASSWORD, '--name', 'Ada', '--family-name', 'Lovelace', '--accept-tos'];

describe('TOTP (RFC 6238)', () => {
  test.each([
    [59, '94287082'],
    [1111111109, '07081804'],
    [1111111111, '14050471'],
    [1234567890, '89005924'],
    [2000000000, '69279037'],
    [20000000000, '65353130'],
  ])('Appendix B, SHA-1, T=%i → %s', (seconds, expected) => {
    const secret = Secret.fromLatin1('12345678901234567890');
    expect(TOTP.generate({ secret, algorithm: 'SHA1', digits: 8, period: 30, timestamp: seconds * 1000 })).toBe(expected);
  });

  test.each([
    [59, '287082'],
    [1111111109, '081804'],
    [1111111111, '050471'],
    [1234567890, '005924'],
    [2000000000, '279037'],
    [20000000000, '353130'],
  ])('our 6-digit codes are the Appendix B values truncated (T=%i → %s), and are accepted at that step', (seconds, expected) => {
    const secret = Secret.fromLatin1('12345678901234567890').base32;
    expect(totpCode(secret, seconds * 1000)).toBe(expected);
    expect(totpStep(secret, expected, seconds * 1000)).toBe(Math.floor(seconds / 30));
  });

  test('a new secret is 160 bits, the URI names SHA-1, 6 digits, 30 s', () => {
    const secret = newTotpSecret();
    expect(Buffer.from(Secret.fromBase32(secret).buffer).length).toBe(20);
    expect(newTotpSecret()).not.toBe(secret);
    const uri = new URL(totpUri(secret, 'Cerby Acme', GUEST));
    expect(uri.protocol).toBe('otpauth:');
    expect(Object.fromEntries(uri.searchParams)).toMatchObject({ secret, algorithm: 'SHA1', digits: '6', period: '30', issuer: 'Cerby Acme' });
  });

  test('one step of drift either way is accepted, two are not', () => {
    const secret = new Secret({ size: 20 }).base32;
    const now = 1_800_000_000_000;
    const step = Math.floor(now / 30000);
    expect(totpStep(secret, totpCode(secret, now), now)).toBe(step);
    expect(totpStep(secret, totpCode(secret, now - 30000), now)).toBe(step - 1);
    expect(totpStep(secret, totpCode(secret, now + 30000), now)).toBe(step + 1);
    expect(totpStep(secret, totpCode(secret, now - 60000), now)).toBeUndefined();
    expect(totpStep(secret, 'abcdef', now)).toBeUndefined();
  });
});

describe('join, scripted', () => {
  test('end to end: invite → .eml in the outbox → join --email-file with flags → list shows joined → MFA, apps, device', async () => {
    const { cli, clock, eml, db } = await invited();
    const first = await cli(['join', '--email-file', eml, ...fullFlags, '--json']);
    expect(first.code).toBe(0);
    const report = JSON.parse(first.stdout);
    expect(report).toMatchObject({ email: GUEST, workspace: 'Acme', status: 'joined' });
    expect(report.steps).toEqual([
      'opened the invite',
      'logged in as a guest user',
      'signed in with the temporary password',
      'set a new password',
      'accepted the Terms of Service',
      'joined',
      'made your MFA secret: add it to your authenticator app',
    ]);
    expect(report.mfa.secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(report.mfa.uri).toMatch(/^otpauth:\/\/totp\/.*secret=[A-Z2-7]{32}&algorithm=SHA1&digits=6&period=30$/);
    const [row] = JSON.parse((await cli(['list', '--json'])).stdout);
    expect(row).toMatchObject({ email: GUEST, status: 'joined', name: 'Ada', familyName: 'Lovelace', joinedAt: clock.current.toISOString() });
    expect(JSON.parse((await cli(['list', '--json', '--setup', 'incomplete'])).stdout)).toHaveLength(1);

    const code = totpCode(report.mfa.secret, clock.current.getTime());
    const second = await cli(['join', '--username', GUEST, '--password', PASSWORD, '--totp-code', code, '--apps', 'mobile,extension', '--device', 'CI runner', '--json']);
    expect(second.code).toBe(0);
    expect(JSON.parse(second.stdout).setup).toEqual({
      passwordSet: true,
      tosAccepted: true,
      mfa: true,
      apps: ['mobile', 'extension'],
      trustedDevices: ['CI runner'],
      step: 'device_trusted',
      complete: true,
    });
    expect(JSON.parse((await cli(['list', '--json', '--setup', 'complete'])).stdout)).toHaveLength(1);
    const show = await cli(['show', GUEST]);
    expect(show.stdout).toMatch(/mfa\s+on/);
    expect(show.stdout).toMatch(/trusted devices\s+CI runner/);
    expect(show.stdout).toMatch(/join\s+by ada@partner\.example/);
    // The TOTP secret is kept sealed under the guest's password: not in the store file.
    expect(fs.readFileSync(db).includes(report.mfa.secret)).toBe(false);
  });

  test('a used code is never accepted twice, and an older step neither', async () => {
    const { cli, clock, db } = await invited();
    const { simpleParser } = await import('mailparser');
    const email = await simpleParser(fs.readFileSync(path.join(path.dirname(db), 'guests.outbox', `000001-${GUEST}.eml`)));
    const { mfa } = JSON.parse((await cli(['join', '--username', GUEST, '--temp-password', tempPasswordFrom(String(email.text)), ...fullFlags, '--json'])).stdout);
    const wrong = await cli(['join', '--username', GUEST, '--password', PASSWORD, '--totp-code', '000000', '--apps', 'none', '--device', 'laptop']);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/MFA not turned on: the code is expired or not yet valid/);
    const code = totpCode(mfa.secret, clock.current.getTime());
    // --apps and --device were kept from the failed call.
    expect((await cli(['join', '--username', GUEST, '--password', PASSWORD, '--totp-code', code])).code).toBe(0);
    const store = openStore(db, { create: false });
    const guest = (await store.guests.find(GUEST))!;
    const step = Math.floor(clock.current.getTime() / 30000);
    expect((await store.credentials.get(guest.id))!.totpLastStep).toBe(step);
    expect(await store.credentials.useTotpStep(guest.id, step, clock.current.toISOString())).toBe(false);
    expect(await store.credentials.useTotpStep(guest.id, step - 1, clock.current.toISOString())).toBe(false);
    expect(await store.credentials.useTotpStep(guest.id, step + 1, clock.current.toISOString())).toBe(true);
    await store.close();
  });

  test('the decoy an unknown username is checked against has the real scrypt parameters (one scrypt, as for a known one)', () => {
    const { N, r, p } = REAL_COSTS.password;
    expect(REAL_DECOY_HASH.split('$').slice(0, 4)).toEqual(['scrypt', String(N), String(r), String(p)]);
  });

  test('the new password: scrypt N=2^17 r=8 p=1 with the parameters stored, salted per guest', async () => {
    // The real costs (every other test runs scrypt cheaply).
    const { cli, db, dir } = await invited({ crypto: REAL_COSTS });
    await cli(['invite', 'bob@partner.example']);
    await cli(['join', '--email-file', path.join(dir, 'guests.outbox', `000001-${GUEST}.eml`), ...fullFlags]);
    await cli(['join', '--email-file', path.join(dir, 'guests.outbox', '000002-bob@partner.example.eml'), ...fullFlags]);
    const store = openStore(db, { create: false });
    const a = (await store.credentials.get((await store.guests.find(GUEST))!.id))!.passwordHash;
    const b = (await store.credentials.get((await store.guests.find('bob@partner.example'))!.id))!.passwordHash;
    await store.close();
    expect(a).toMatch(/^scrypt\$131072\$8\$1\$[A-Za-z0-9+/=]{24}\$[A-Za-z0-9+/=]{44}$/);
    expect(a.split('$')[4]).not.toBe(b.split('$')[4]);
    expect(a.split('$')[5]).not.toBe(b.split('$')[5]);
    expect(fs.readFileSync(db).includes(PASSWORD)).toBe(false);
  });

  test('hashing the new password is slow (scrypt, ~128 MiB) and salted: same password, different hashes, both verify', async () => {
    const started = process.hrtime.bigint();
    const a = await hashPassword(PASSWORD, REAL_COSTS.password);
    const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;
    expect(elapsedMs).toBeGreaterThan(50);
    const b = await hashPassword(PASSWORD, REAL_COSTS.password);
    expect(a).not.toBe(b);
    expect(await verifyPassword(PASSWORD, a)).toBe(true);
    expect(await verifyPassword(PASSWORD, b)).toBe(true);
    expect(await verifyPassword(`${PASSWORD}!`, a)).toBe(false);
  });

  test.each([
    ['too short', 'short pass 123', /has 14 characters; the policy needs at least 15/],
    ['common', '123456789987654321', /commonly used passwords/],
    ['contains the username', 'my ada@partner.example pw', /contains your username/],
    ['contains the local part', 'hello-ada-is-my-password', /contains your username/],
  ])('a %s password is refused with the reason (exit 2), nothing changes', async (_what, password, reason) => {
    const { cli, eml } = await invited();
    const result = await cli(['join', '--email-file', eml, '--new-password', password, '--name', 'Ada', '--family-name', 'L', '--accept-tos']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(reason);
    expect(result.stderr).toContain('at least 15 characters');
    expect(JSON.parse((await cli(['list', '--json'])).stdout)[0].status).toBe('pending');
    expect((await cli(['join', '--email-file', eml, ...fullFlags])).code).toBe(0);
  });

  test('the temporary password itself is refused as the new one; a 64+ character passphrase is fine', async () => {
    const { cli, eml } = await invited();
    const { simpleParser } = await import('mailparser');
    const temp = tempPasswordFrom(String((await simpleParser(fs.readFileSync(eml))).text));
    const same = await cli(['join', '--email-file', eml, '--new-password', temp, '--name', 'A', '--family-name', 'L', '--accept-tos']);
    expect(same.stderr).toMatch(/it is the temporary password/);
    const long = 'a long passphrase that keeps going well past sixty four characters, truncated never';
    expect(long.length).toBeGreaterThan(64);
    expect((await cli(['join', '--email-file', eml, '--new-password', long, '--name', 'A', '--family-name', 'L', '--accept-tos'])).code).toBe(0);
    expect((await cli(['join', '--username', GUEST, '--password', long.slice(0, 64)])).stderr).toMatch(/wrong username or password/);
  });

  test('a missing value is a usage error naming the flag when stdin is not a terminal', async () => {
    const { cli, eml } = await invited();
    const result = await cli(['join', '--email-file', eml, '--new-password', PASSWORD, '--name', 'Ada', '--accept-tos']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/missing --family-name/);
    const tos = await cli(['join', '--email-file', eml, '--new-password', PASSWORD, '--name', 'Ada', '--family-name', 'L']);
    expect(tos.stderr).toMatch(/missing --accept-tos/);
  });
});

describe('sign-in refusals', () => {
  test('no such user and wrong password get the same words', async () => {
    const { cli } = await invited();
    const unknown = await cli(['join', '--username', 'nobody@partner.example', '--temp-password', 'x'.repeat(24), ...fullFlags]);
    const wrong = await cli(['join', '--username', GUEST, '--temp-password', 'x'.repeat(24), ...fullFlags]);
    expect(unknown.code).toBe(1);
    expect(wrong.code).toBe(1);
    expect(unknown.stderr.split('\n').pop()).toBe(wrong.stderr.split('\n').pop());
    expect(wrong.stderr).toMatch(/wrong username or password/);
  });

  test('expired, revoked, superseded, already joined: each its own message', async () => {
    const expired = await invited();
    expired.clock.advance(8 * DAY);
    expect((await expired.cli(['join', '--email-file', expired.eml, ...fullFlags])).stderr).toMatch(/this invite expired on/);

    const revoked = await invited();
    await revoked.cli(['revoke', GUEST]);
    expect((await revoked.cli(['join', '--email-file', revoked.eml, ...fullFlags])).stderr).toMatch(/this invite was revoked/);

    const superseded = await invited();
    await superseded.cli(['resend', GUEST]);
    expect((await superseded.cli(['join', '--email-file', superseded.eml, ...fullFlags])).stderr).toMatch(/replaced by a newer invite/);
    const fresh = path.join(path.dirname(superseded.eml), `000002-${GUEST}.eml`);
    expect((await superseded.cli(['join', '--email-file', fresh, ...fullFlags])).code).toBe(0);
    const again = await superseded.cli(['join', '--email-file', fresh, ...fullFlags]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already joined: the temporary password no longer works/);
  });

  test('after the own password is set, nothing about the account is told before a password matched', async () => {
    const { cli, eml } = await invited();
    await cli(['join', '--email-file', eml, '--new-password', PASSWORD, '--name', 'Ada', '--family-name', 'L', '--decline-tos']);
    const unknown = await cli(['join', '--username', 'nobody@partner.example', '--temp-password', 'x'.repeat(24)]);
    const badTemp = await cli(['join', '--username', GUEST, '--temp-password', 'x'.repeat(24)]);
    expect(badTemp.code).toBe(1);
    expect(badTemp.stderr.split('\n').pop()).toBe(unknown.stderr.split('\n').pop());
    // The right temporary password is told that it no longer works.
    expect((await cli(['join', '--email-file', eml, '--accept-tos'])).stderr).toMatch(/already set your own password: the temporary one no longer works/);
    expect((await cli(['revoke', GUEST])).code).toBe(0);
    const badOwn = await cli(['join', '--username', GUEST, '--password', 'not the right one at all']);
    expect(badOwn.stderr).toMatch(/wrong username or password/);
    expect(badOwn.stderr).not.toMatch(/revoked/);
    const rightOwn = await cli(['join', '--username', GUEST, '--password', PASSWORD, '--accept-tos']);
    expect(rightOwn.code).toBe(1);
    expect(rightOwn.stderr).toMatch(/this invite was revoked/);
  });

  test('a new invite sent after the guest set a password (resend, or invite again after a revoke) starts the account over', async () => {
    const { cli, eml, clock, dir } = await invited();
    await cli(['join', '--email-file', eml, '--new-password', PASSWORD, '--name', 'Ada', '--family-name', 'L', '--decline-tos']);
    clock.advance(60_000);
    expect((await cli(['resend', GUEST])).code).toBe(0);
    const second = path.join(dir, 'guests.outbox', `000002-${GUEST}.eml`);
    const other = 'another long passphrase, mine only';
    const fresh = await cli(['join', '--email-file', second, '--new-password', other, '--name', 'Ada', '--family-name', 'Lovelace', '--decline-tos']);
    expect(fresh.stderr).toMatch(/declined the Terms of Service/);
    expect((await cli(['join', '--username', GUEST, '--password', PASSWORD, '--accept-tos'])).stderr).toMatch(/wrong username or password/);
    expect((await cli(['join', '--email-file', second, '--accept-tos'])).stderr).toMatch(/temporary one no longer works/);
    clock.advance(60_000);
    await cli(['revoke', GUEST]);
    expect((await cli(['invite', GUEST])).code).toBe(0);
    const third = path.join(dir, 'guests.outbox', `000003-${GUEST}.eml`);
    const joined = await cli(['join', '--email-file', third, ...fullFlags, '--json']);
    expect(joined.code).toBe(0);
    expect(JSON.parse(joined.stdout)).toMatchObject({ status: 'joined' });
  });

  test('5 failures lock the invite until an admin resends it', async () => {
    const { cli, eml, dir } = await invited();
    for (let i = 0; i < 6; i++) {
      const r = await cli(['join', '--username', GUEST, '--temp-password', `wrong-${i}`.padEnd(24, 'x'), ...fullFlags]);
      expect(r.code).toBe(1);
      // Locked or not, a wrong password gets the same words: the lock is told only with the right one.
      expect(r.stderr).toMatch(/wrong username or password/);
      expect(r.stderr).not.toMatch(/locked/);
    }
    const right = await cli(['join', '--email-file', eml, ...fullFlags]);
    expect(right.stderr).toMatch(/locked after 5 failed sign-ins: ask an admin to resend it/);
    expect((await cli(['resend', GUEST])).code).toBe(0);
    expect((await cli(['join', '--email-file', path.join(dir, 'guests.outbox', `000002-${GUEST}.eml`), ...fullFlags])).code).toBe(0);
  });
});

describe('lockout when resuming', () => {
  test('failures with the own password count too; a success in between resets the count; a resend unlocks', async () => {
    const { cli, eml, dir } = await invited();
    await cli(['join', '--email-file', eml, '--new-password', PASSWORD, '--name', 'Ada', '--family-name', 'L', '--decline-tos']);
    const wrong = (i: number) => cli(['join', '--username', GUEST, '--password', `not my password, try ${i}`, '--decline-tos']);
    for (let i = 0; i < 4; i++) expect((await wrong(i)).stderr).toMatch(/wrong username or password/);
    // Four failures, then the right password: the count starts again.
    expect((await cli(['join', '--username', GUEST, '--password', PASSWORD, '--decline-tos'])).stderr).toMatch(/declined the Terms/);
    for (let i = 0; i < 5; i++) expect((await wrong(i)).stderr).toMatch(/wrong username or password/);
    expect((await wrong(5)).stderr).not.toMatch(/locked/);
    const locked = await cli(['join', '--username', GUEST, '--password', PASSWORD, '--accept-tos']);
    expect([locked.code, /locked after 5 failed sign-ins: ask an admin to resend it/.test(locked.stderr)]).toEqual([1, true]);
    // A resend unlocks by starting the account over: the new email's password works, the old own one not.
    expect((await cli(['resend', GUEST])).code).toBe(0);
    expect((await cli(['join', '--username', GUEST, '--password', PASSWORD, '--accept-tos'])).stderr).toMatch(/wrong username or password/);
    const second = path.join(dir, 'guests.outbox', `000002-${GUEST}.eml`);
    const resumed = await cli(['join', '--email-file', second, ...fullFlags, '--json']);
    expect(resumed.code).toBe(0);
    expect(JSON.parse(resumed.stdout).status).toBe('joined');
  }, 30_000);
});

describe('resuming and the waiting page', () => {
  test('declining the Terms stops there; the next join signs in with the new password and resumes at that step', async () => {
    const { cli, eml } = await invited();
    const declined = await cli(['join', '--email-file', eml, '--new-password', PASSWORD, '--name', 'Ada', '--family-name', 'L', '--decline-tos']);
    expect(declined.code).toBe(1);
    expect(declined.stderr).toMatch(/declined the Terms of Service, so you have not joined/);
    expect(JSON.parse((await cli(['list', '--json'])).stdout)[0].status).toBe('pending');
    const temp = await cli(['join', '--email-file', eml, '--accept-tos']);
    expect(temp.stderr).toMatch(/already set your own password/);
    const resumed = await cli(['join', '--username', GUEST, '--password', PASSWORD, '--accept-tos', '--json']);
    expect(resumed.code).toBe(0);
    expect(JSON.parse(resumed.stdout).steps).toEqual([
      'opened the invite',
      'logged in as a guest user',
      'signed in with your password',
      'accepted the Terms of Service',
      'joined',
      'made your MFA secret: add it to your authenticator app',
    ]);
  });

  test('the waiting page redirects to the identity provider when nobody picks "Log in as a guest user" in time: exit 1', async () => {
    const { cli, eml } = await invited();
    const stalled: Prompter = {
      interactive: true,
      input: () => new Promise(() => {}),
      password: () => new Promise(() => {}),
      checkbox: () => new Promise(() => {}),
      pick: () => new Promise(() => {}),
      confirm: () => new Promise(() => {}),
      // As the real one: nobody answers, the time runs out.
      countdown: (_m, seconds) => new Promise((resolve) => setTimeout(() => resolve('timeout'), seconds * 1000)),
    };
    const started = Date.now();
    const result = await cli(['join', '--email-file', eml, '--wait-seconds', '0.2'], { prompter: stalled, stdinIsTTY: true, stdoutIsTTY: true });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/redirected to the identity provider: no account can be set up there\. Close that tab and open the "Join as a guest" link in the email again/);
    expect(Date.now() - started).toBeGreaterThanOrEqual(150);
    expect(JSON.parse((await cli(['list', '--json'])).stdout)[0].status).toBe('pending');
  });

  test('the waiting page times out with the real prompt too, when nobody answers on the terminal', async () => {
    const { cli, eml } = await invited();
    const stdin = new PassThrough();
    const stderr = new PassThrough();
    const prompter = createPrompter({ stdin, stderr, interactive: true });
    const started = Date.now();
    const result = await cli(['join', '--email-file', eml, '--wait-seconds', '0.3'], { prompter, stdin, stderr, stdinIsTTY: true, stdoutIsTTY: true });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/Log in as a guest user\?/);
    expect(result.stderr).toMatch(/redirecting in 1 s[\s\S]*\(no answer: redirected\)[\s\S]*redirected to the identity provider: no account/);
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(result.stderr).not.toMatch(/\? (Password|New Password)/);
  });

  test('answering "no" on the waiting page is the same redirect', async () => {
    const { cli, eml } = await invited();
    const stdin = new PassThrough();
    const stderr = new PassThrough();
    stderr.on('data', (chunk: Buffer) => {
      if (/Log in as a guest user\?/.test(chunk.toString())) setTimeout(() => stdin.write('n\r'), 20);
    });
    const prompter = createPrompter({ stdin, stderr, interactive: true });
    const result = await cli(['join', '--email-file', eml], { prompter, stdin, stderr, stdinIsTTY: true, stdoutIsTTY: true });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/redirected to the identity provider/);
    expect(JSON.parse((await cli(['list', '--json'])).stdout)[0].status).toBe('pending');
  });

  test('interactive: the real prompts, answered through an injected terminal stream', async () => {
    const { cli, eml, clock } = await invited();
    const stdin = new PassThrough();
    const stderr = new PassThrough();
    // A person at the keyboard: answer each prompt as it appears on stderr.
    const answers: [RegExp, string][] = [
      [/Log in as a guest user\?/, 'y\r'],
      [/New Password/, `${PASSWORD}\r`],
      [/Enter New Password Again/, `${PASSWORD}\r`],
      [/\? Name/, '\r'],
      // An empty name is refused at the prompt with the reason, and asked again.
      [/--name is empty/, 'Ada\r'],
      [/Family Name/, 'Lovelace\r'],
      [/Do you agree/, 'y\r'],
      [/6-digit code/, ''],
      [/Which approved Cerby client apps/, ' \r'],
      [/Name of this device/, 'Kitchen laptop\r'],
    ];
    let screen = '';
    let secret = '';
    stderr.on('data', (chunk: Buffer) => {
      // eslint-disable-next-line no-control-regex
      screen += chunk.toString().replace(/\u001b\[[0-9;?]*[A-Za-z]/g, '');
      secret ||= /secret: ([A-Z2-7]{32})/.exec(screen)?.[1] ?? '';
      const next = answers[0];
      if (next && next[0].test(screen)) {
        answers.shift();
        screen = '';
        const reply = next[1] || `${totpCode(secret, clock.current.getTime())}\r`;
        setTimeout(() => stdin.write(reply), 20);
      }
    });
    const prompter = createPrompter({ stdin, stderr, interactive: true });
    const io = { prompter, stdin, stderr, stdinIsTTY: true, stdoutIsTTY: true };
    const result = await cli(['join', '--email-file', eml], io);
    expect([result.code, answers.length]).toEqual([0, 0]);
    const show = JSON.parse((await cli(['show', GUEST, '--json'])).stdout);
    expect(show.setup).toMatchObject({ tosAccepted: true, mfa: true, apps: ['mobile'], trustedDevices: ['Kitchen laptop'], complete: true });
    expect(show).toMatchObject({ status: 'joined', name: 'Ada', familyName: 'Lovelace' });
  }, 30_000);
});

describe('workspace password policy', () => {
  test('a workspace may lower the minimum to 8 only with MFA required; join follows it', async () => {
    const { cli, eml } = await invited();
    expect((await cli(['workspace', 'policy', '--password-min-length', '7'])).code).toBe(2);
    const noMfa = await cli(['workspace', 'policy', '--password-min-length', '10', '--mfa-required', 'no']);
    expect(noMfa.stderr).toMatch(/below 15 characters needs MFA required/);
    expect((await cli(['workspace', 'policy', '--password-min-length', '10'])).code).toBe(0);
    expect(JSON.parse((await cli(['workspace', 'policy', '--json'])).stdout)).toEqual({ minLength: 10, mfaRequired: true });
    expect((await cli(['workspace', 'policy', '--password-min-length', '12', '--as', 'nobody@x.example'])).code).toBe(4);
    const result = await cli(['join', '--email-file', eml, '--new-password', 'twelve chars', '--name', 'A', '--family-name', 'L', '--accept-tos']);
    expect(result.stderr).toContain('at least 10 characters');
    expect(result.code).toBe(0);
  });
});

describe('cancelling', () => {
  test('interactive: the Change Password page validates each field in place (no ✔ on a refused value); nothing lands on a prompt line', async () => {
    const { cli, eml } = await invited();
    const CLEAR_LINE = '\u0015'; // Ctrl-U: the refused value stays typed, as in a web form
    const person = keyboard(
      [
        [/Log in as a guest user\?/, 'y\r'],
        [/New Password/, 'passwordpassword\r'],
        [/it is on the list of commonly used passwords/, `${CLEAR_LINE}${PASSWORD}\r`],
        [/Enter New Password Again/, `${PASSWORD}x\r`],
        [/the two passwords differ/, `${CLEAR_LINE}${PASSWORD}\r`],
        [/\? Name/, 'Ada\r'],
        [/Family Name/, 'Lovelace\r'],
        [/Do you agree/, 'n\r'],
      ],
      120,
    );
    const result = await cli(['join', '--email-file', eml], { ...person.io, columns: 120 });
    const all = person.screen();
    expect([result.code, person.left()]).toEqual([1, 0]);
    expect(result.stderr).toMatch(/declined the Terms of Service/);
    // Step 1, the Sign In page: workspace, username, the temporary password masked.
    expect(all).toMatch(/Sign In\n {2}Workspace name: +Acme\n {2}Username: +ada@partner\.example\n {2}Temporary password: +\*{24}\n/);
    expect(all.indexOf('Password policy')).toBeLessThan(all.indexOf('New Password'));
    // A refused value never got a ✔: one per field, after the accepted value.
    const finals = all.split('\n').filter((line) => line.includes('✔'));
    expect(finals.filter((line) => /New Password$|New Password \*+$/.test(line))).toHaveLength(1);
    expect(finals.filter((line) => /Enter New Password Again/.test(line))).toHaveLength(1);
    // Every answered prompt ends its own line: nothing printed later is glued onto it.
    for (const line of finals) expect(line).toMatch(/(✔ (Log in as a guest user\? Yes|New Password \*+|Enter New Password Again \*+|Name Ada|Family Name Lovelace|Do you agree \(Continue\)\? No))$/);
    // The terms are wrapped to the terminal's 120 columns, not 80.
    expect(all).toContain("Terms of service agreement\nI confirm that I have read, consent, and agree to Cerby's Terms of Service.\n");
    // Masked: the typed passwords never reach the screen.
    expect(all).not.toContain(PASSWORD);
    expect(all).not.toContain('passwordpassword');
    const resumed = await cli(['join', '--username', GUEST, '--password', PASSWORD, '--accept-tos', '--json']);
    expect(resumed.code).toBe(0);
    expect(JSON.parse(resumed.stdout)).toMatchObject({ status: 'joined' });
  }, 30_000);

  test('Ctrl-C at a prompt exits 130 and changes nothing', async () => {
    const { cli, eml } = await invited();
    const stdin = new PassThrough();
    const stderr = new PassThrough();
    let sent = false;
    stderr.on('data', (chunk: Buffer) => {
      if (!sent && /Log in as a guest user\?/.test(chunk.toString())) {
        sent = true;
        setTimeout(() => stdin.write('\u0003'), 20);
      }
    });
    const prompter = createPrompter({ stdin, stderr, interactive: true });
    const result = await cli(['join', '--email-file', eml], { prompter, stdin, stderr, stdinIsTTY: true, stdoutIsTTY: true });
    expect(result.code).toBe(130);
    expect(JSON.parse((await cli(['list', '--json'])).stdout)[0].status).toBe('pending');
  }, 20_000);
});

describe('unlock', () => {
  test('a joined guest locked by 5 failed sign-ins is told to ask for an unlock, and `unlock` lifts it', async () => {
    const { cli, eml } = await invited();
    expect((await cli(['join', '--email-file', eml, ...fullFlags])).code).toBe(0);
    for (let i = 0; i < 5; i++) await cli(['join', '--username', GUEST, '--password', `not the password ${i}!`]);
    const locked = await cli(['join', '--username', GUEST, '--password', PASSWORD]);
    expect(locked.code).toBe(1);
    expect(locked.stderr).toMatch(/this account is locked after 5 failed sign-ins: ask an admin to unlock it \(`cerby-guests unlock ada@partner\.example`\)/);
    expect((await cli(['resend', GUEST])).code).toBe(2);
    expect((await cli(['unlock', GUEST, '--as', 'stranger@else.example'])).code).toBe(4);
    const unlock = await cli(['unlock', GUEST]);
    expect(unlock.code).toBe(0);
    expect(unlock.stderr).toContain('Unlocked ada@partner.example');
    expect((await cli(['join', '--username', GUEST, '--password', PASSWORD, '--json'])).code).toBe(0);
    expect((await cli(['unlock', GUEST])).stderr).toContain('was not locked');
  });
});

describe('the "Join as a guest" link', () => {
  test('--link names the username; the temporary password comes from its flag', async () => {
    const { cli, eml } = await invited();
    const { simpleParser } = await import('mailparser');
    const text = String((await simpleParser(fs.readFileSync(eml))).text);
    const link = /Join as a guest: (\S+)/.exec(text)![1]!;
    expect(link).toMatch(/^https:\/\/cerby\.localhost\/guest\/join\?invite=[A-Za-z0-9_-]{24}&username=ada%40partner\.example$/);
    const result = await cli(['join', '--link', link, '--temp-password', tempPasswordFrom(text), ...fullFlags, '--json']);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ email: GUEST, status: 'joined' });
    expect((await cli(['join', '--link', 'https://cerby.localhost/elsewhere?x=1', '--temp-password', 'x'])).stderr).toMatch(/not a "Join as a guest" link/);
  });
});
