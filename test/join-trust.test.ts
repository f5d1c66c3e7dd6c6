import fs from 'node:fs';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import jsQRModule from 'jsqr';
import { PNG } from 'pngjs';
import { totpCode } from '../src/crypto/totp.js';
import { accountDetails } from '../src/join/invite.js';
import { QUIET_ZONE, qrModules, renderQrForTerminal } from '../src/join/qr.js';
import { keyboard, tempDir, tempPasswordFrom, workspace, type RunResult } from './helpers.js';

/**
 * The guest's join as something to trust and to script (issue 12): MFA enforced, flags
 * honoured across calls, secrets off argv, a report from every call, a complete audit trail,
 * no enumeration, checked links, linear-time email parsing, and the terminal pages.
 */

const GUEST = 'ada@partner.example';
const PASSWORD = 'correct horse battery staple 42';
const names = ['--name', 'Ada', '--family-name', 'Lovelace'];

async function invited() {
  const ws = await workspace();
  const result = await ws.cli(['invite', GUEST]);
  if (result.code !== 0) throw new Error(result.stderr);
  const eml = path.join(ws.dir, 'guests.outbox', `000001-${GUEST}.eml`);
  const { simpleParser } = await import('mailparser');
  const text = String((await simpleParser(fs.readFileSync(eml))).text);
  const passwordFile = path.join(ws.dir, 'pw.txt');
  fs.writeFileSync(passwordFile, `${PASSWORD}\n`, { mode: 0o600 });
  const show = async () => JSON.parse((await ws.cli(['show', GUEST, '--json'])).stdout) as { setup: Record<string, unknown>; history: { action: string; detail: Record<string, unknown> | null }[]; signIn: { failures: number; lockedAt: string | null } };
  return { ...ws, eml, temp: tempPasswordFrom(text), text, passwordFile, show };
}

// jsqr is CommonJS with an ES-style default export: the function is `.default` or the module itself.
const jsQR = ((jsQRModule as unknown as { default?: typeof jsQRModule.default }).default ?? jsQRModule) as typeof jsQRModule.default;

/** Standard input holding `text`, as `echo "$PW" | cerby-guests join --password-file -` gives it. */
function stdinWith(text: string): PassThrough {
  const stdin = new PassThrough();
  stdin.end(text);
  return stdin;
}

const json = (result: RunResult) => JSON.parse(result.stdout) as Record<string, unknown> & { steps: string[]; mfa?: { secret: string } };

describe('the CI path: two calls, secrets from files, flags kept until their step', () => {
  test('call 1 gives everything and gets the MFA secret; call 2 needs only the password (stdin) and a code', async () => {
    const { cli, eml, passwordFile, clock, show } = await invited();
    const first = await cli(['join', '--email-file', eml, '--new-password-file', passwordFile, ...names, '--accept-tos', '--apps', 'mobile', '--device', 'CI runner', '--json']);
    expect(first.code).toBe(0);
    const report = json(first);
    expect(report).toMatchObject({ ok: true, status: 'joined', setup: { step: 'terms_accepted', mfa: false, apps: null, complete: false } });
    expect(report.steps.slice(-2)).toEqual(['made your MFA secret: add it to your authenticator app', 'kept --apps and --device for when MFA is on']);
    expect(report.next).toMatch(/--password-file FILE \(your password\) and --totp-code CODE/);
    // Files, not argv: no warning about passwords on the command line.
    expect(first.stderr).not.toMatch(/visible to other users/);

    const code = totpCode(report.mfa?.secret ?? '', clock.current.getTime());
    const second = await cli(['join', '--username', GUEST, '--password-file', '-', '--totp-code', code, '--json'], { stdin: stdinWith(`${PASSWORD}\n`) });
    expect(second.code).toBe(0);
    expect(json(second)).toMatchObject({
      ok: true,
      steps: ['opened the invite', 'logged in as a guest user', 'signed in with your password', 'turned on MFA', 'recorded client apps: mobile', 'set up the trusted session for "CI runner"'],
      setup: { mfa: true, apps: ['mobile'], trustedDevices: ['CI runner'], complete: true },
    });
    // Shown once, when made: never again.
    expect(json(second).mfa).toBeUndefined();
    expect(second.stdout).not.toContain(report.mfa?.secret);
    expect((await show()).setup).toMatchObject({ complete: true });
  });

  test('a wrong code in call 1: exit 1 with a report that says what was saved, the secret in it, and the flags kept', async () => {
    const { cli, eml, passwordFile, clock } = await invited();
    const first = await cli(['join', '--email-file', eml, '--new-password-file', passwordFile, ...names, '--accept-tos', '--apps', 'none', '--device', 'laptop', '--totp-code', '000000', '--json']);
    expect(first.code).toBe(1);
    const report = json(first);
    expect(report).toMatchObject({ ok: false, saved: true, status: 'joined', error: 'MFA not turned on: the code is expired or not yet valid: use the one your authenticator shows now' });
    expect(report.mfa?.secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(report.steps).toContain('kept --apps and --device for when MFA is on');
    // On stderr too: the steps done, the refusal, and that the steps are saved.
    expect(first.stderr).toMatch(/✓ Joined\n[\s\S]*✗ MFA not turned on[\s\S]*The steps above are saved/);

    const code = totpCode(report.mfa?.secret ?? '', clock.current.getTime());
    const second = await cli(['join', '--username', GUEST, '--password-file', passwordFile, '--totp-code', code, '--json']);
    expect(json(second)).toMatchObject({ ok: true, setup: { apps: [], trustedDevices: ['laptop'], complete: true } });
  });

  test('a script that would turn MFA on without --apps or --device is refused before anything changes (exit 2)', async () => {
    const { cli, eml, passwordFile, clock, show } = await invited();
    const first = json(await cli(['join', '--email-file', eml, '--new-password-file', passwordFile, ...names, '--accept-tos', '--json']));
    const code = totpCode(first.mfa?.secret ?? '', clock.current.getTime());
    const missing = await cli(['join', '--username', GUEST, '--password-file', passwordFile, '--totp-code', code, '--json']);
    expect(missing.code).toBe(2);
    expect(json(missing)).toMatchObject({ ok: false, saved: false, error: expect.stringMatching(/^missing --apps and --device: after MFA comes/) });
    expect((await show()).setup).toMatchObject({ mfa: false });
    // A bad --apps or --device is refused before the invite is even opened.
    expect((await cli(['join', '--username', GUEST, '--password-file', passwordFile, '--totp-code', code, '--apps', 'fax', '--device', 'x'])).code).toBe(2);
    expect((await cli(['join', '--username', GUEST, '--password-file', passwordFile, '--totp-code', code, '--apps', 'none', '--device', ' '])).stderr).toMatch(/--device is empty/);
    expect((await show()).history.filter((h) => h.action === 'signin.failed')).toHaveLength(0);
  });

  test('a failed sign-in with --json: a report with the steps before it, and nothing about the account', async () => {
    const { cli } = await invited();
    const wrong = await cli(['join', '--username', GUEST, '--temp-password-file', '-', '--json'], { stdin: stdinWith('not-the-temporary-password') });
    expect(wrong.code).toBe(1);
    expect(json(wrong)).toEqual({ ok: false, email: GUEST, workspace: 'Acme', steps: ['opened the invite', 'logged in as a guest user'], saved: false, error: 'wrong username or password' });
    const usage = await cli(['join', '--email-file', '/nonexistent/invite.eml', '--json']);
    expect(usage.code).toBe(2);
    expect(json(usage)).toMatchObject({ ok: false, steps: [], error: 'cannot read the email file /nonexistent/invite.eml' });
  });
});

describe('MFA is enforced once on', () => {
  async function mfaOn() {
    const ws = await invited();
    const first = json(await ws.cli(['join', '--email-file', ws.eml, '--new-password-file', ws.passwordFile, ...names, '--accept-tos', '--json']));
    const secret = first.mfa?.secret ?? '';
    const on = await ws.cli(['join', '--username', GUEST, '--password-file', ws.passwordFile, '--totp-code', totpCode(secret, ws.clock.current.getTime()), '--apps', 'mobile', '--device', 'laptop']);
    if (on.code !== 0) throw new Error(on.stderr);
    ws.clock.advance(30_000);
    return { ...ws, secret };
  }

  test('no code: refused before anything else happens; nothing recorded', async () => {
    const { cli, passwordFile, show } = await mfaOn();
    const before = (await show()).setup;
    const noCode = await cli(['join', '--username', GUEST, '--password-file', passwordFile, '--apps', 'extension', '--device', 'evil laptop', '--json']);
    expect(noCode.code).toBe(2);
    expect(json(noCode)).toMatchObject({ ok: false, saved: false, steps: ['opened the invite', 'logged in as a guest user', 'signed in with your password'] });
    expect(json(noCode).error).toMatch(/^MFA is on for this account: give --totp-code CODE/);
    expect((await show()).setup).toEqual(before);
  });

  test('codes: "must be 6 digits", "expired or not yet valid", "used already" — each refused and in the trail; a good one passes', async () => {
    const { cli, passwordFile, secret, clock, show } = await mfaOn();
    const attempt = (code: string) => cli(['join', '--username', GUEST, '--password-file', passwordFile, '--totp-code', code]);
    expect((await attempt('12ab56')).stderr).toMatch(/sign-in refused: the code must be 6 digits/);
    expect((await attempt('000000')).stderr).toMatch(/sign-in refused: the code is expired or not yet valid/);
    const good = totpCode(secret, clock.current.getTime());
    const passed = await attempt(good);
    expect(passed.code).toBe(0);
    expect(passed.stderr).toMatch(/✓ Passed MFA/);
    expect((await attempt(good)).stderr).toMatch(/sign-in refused: this code was used already/);
    const failed = (await show()).history.filter((h) => h.action === 'join.code-failed').map((h) => h.detail?.reason);
    expect(failed).toEqual(['the code must be 6 digits', 'the code is expired or not yet valid: use the one your authenticator shows now', 'this code was used already: wait for the next one']);
  });
});

describe('secrets off argv', () => {
  test('a password on argv works but warns once, naming the flags and their -file forms', async () => {
    const { cli, temp } = await invited();
    const result = await cli(['join', '--username', GUEST, '--temp-password', temp, '--new-password', PASSWORD, ...names, '--decline-tos']);
    expect(result.code).toBe(1);
    const warnings = result.stderr.split('\n').filter((l) => /visible to other users/.test(l));
    expect(warnings).toEqual([
      '! --new-password and --temp-password on the command line are visible to other users of this machine (ps) and in shell history: use --new-password-file FILE, --temp-password-file FILE (- reads standard input)',
    ]);
  });

  test('contradictions are usage errors before anything is read: flag and file, two files on stdin, an empty file, a folder', async () => {
    const { cli, passwordFile, dir, show } = await invited();
    const cases: [string[], RegExp][] = [
      [['--password', 'x', '--password-file', passwordFile], /give --password or --password-file, not both/],
      [['--password-file', '-', '--new-password-file', '-'], /only one of --password-file, --new-password-file can read standard input/],
      [['--password-file', path.join(dir, 'empty.txt')], /--password-file .*empty\.txt is empty/],
      [['--password-file', dir], /is a folder, not a file/],
      [['--password-file', path.join(dir, 'missing.txt')], /cannot read --password-file .*missing\.txt \(ENOENT\)/],
    ];
    fs.writeFileSync(path.join(dir, 'empty.txt'), '\n');
    for (const [flags, message] of cases) {
      const result = await cli(['join', '--username', GUEST, ...flags]);
      expect([result.code, message.test(result.stderr)]).toEqual([2, true]);
    }
    expect((await show()).signIn).toEqual({ failures: 0, lockedAt: null });
  });

  test('on a terminal, the password may be left out: it is asked for (masked), and so is the own one after re-opening the email', async () => {
    const { cli, eml, passwordFile, show, clock } = await invited();
    expect((await cli(['join', '--email-file', eml, '--new-password-file', passwordFile, ...names, '--decline-tos'])).code).toBe(1);
    // The article: open the email again. Its temporary password no longer works, so the own one is asked for.
    const person = keyboard([
      [/Log in as a guest user\?/, 'y\r'],
      [/temporary one no longer works[\s\S]*Password/, `${PASSWORD}\r`],
      [/Do you agree/, 'y\r'],
      [/6-digit code/, (screen) => `${totpCode(/secret: ([A-Z2-7]{32})/.exec(screen)?.[1] ?? '', clock.current.getTime())}\r`],
      [/Which approved Cerby client apps/, ' \r'],
      [/Name of this device/, '\r'],
    ]);
    const result = await cli(['join', '--email-file', eml], person.io);
    expect([result.code, person.left()]).toEqual([0, 0]);
    expect(person.screen()).not.toContain(PASSWORD);
    expect((await show()).setup).toMatchObject({ tosAccepted: true, mfa: true, apps: ['mobile'], trustedDevices: ['My laptop'], complete: true });
  }, 20_000);
});

describe('sign-in on a terminal', () => {
  test('a wrong temporary password is asked again with the reason; the right one goes on; the countdown shows', async () => {
    const { cli, temp, show } = await invited();
    const person = keyboard([
      [/redirecting in 5 s/, 'y\r'],
      [/\? Password/, 'a wrong one\r'],
      [/wrong username or password[\s\S]*\? Password/, `${temp}\r`],
      [/New Password/, `${PASSWORD}\r`],
      [/Enter New Password Again/, `${PASSWORD}\r`],
      [/\? Name/, 'Ada\r'],
      [/Family Name/, 'Lovelace\r'],
      [/Do you agree/, 'n\r'],
    ]);
    const result = await cli(['join', '--username', GUEST], person.io);
    expect([result.code, person.left()]).toEqual([1, 0]);
    expect(result.stderr).toMatch(/declined the Terms of Service/);
    const history = (await show()).history;
    expect(history.filter((h) => h.action === 'signin.failed').map((h) => h.detail)).toEqual([{ reason: 'wrong temporary password', failures: 1 }]);
    // The success in between reset the count.
    expect((await show()).signIn).toEqual({ failures: 0, lockedAt: null });
  }, 20_000);

  test('a person gets at most 5 tries in a run: the 5th locks, and the answer stays "wrong username or password"', async () => {
    const { cli, show } = await invited();
    const wrong: [RegExp, string][] = [[/Log in as a guest user\?/, 'y\r'], [/\? Password/, 'wrong 1\r']];
    for (let i = 2; i <= 5; i++) wrong.push([/wrong username or password[\s\S]*\? Password/, `wrong ${i}\r`]);
    const person = keyboard(wrong);
    const result = await cli(['join', '--username', GUEST], person.io);
    expect([result.code, person.left()]).toEqual([1, 0]);
    expect(result.stderr.trim().split('\n').at(-1)).toMatch(/wrong username or password$/);
    expect(result.stderr).not.toMatch(/locked/);
    const details = await show();
    expect(details.signIn.failures).toBe(5);
    expect(details.signIn.lockedAt).not.toBeNull();
  }, 20_000);
});

describe('the audit trail and show', () => {
  test('every step of the join is an event; show prints the lock state and the failure count', async () => {
    const { cli, eml, passwordFile, clock, show } = await invited();
    await cli(['join', '--email-file', eml, '--new-password-file', passwordFile, ...names, '--decline-tos']);
    const first = json(await cli(['join', '--username', GUEST, '--password-file', passwordFile, '--accept-tos', '--apps', 'mobile', '--json']));
    await cli(['join', '--username', GUEST, '--password-file', passwordFile, '--totp-code', '999999', '--device', 'laptop']);
    const code = totpCode(first.mfa?.secret ?? '', clock.current.getTime());
    expect((await cli(['join', '--username', GUEST, '--password-file', passwordFile, '--totp-code', code])).code).toBe(0);
    for (let i = 0; i < 5; i++) await cli(['join', '--username', GUEST, '--password', `wrong password number ${i}`]);
    const text = await cli(['show', GUEST]);
    expect(text.stdout).toMatch(/sign-in\s+locked since \S+ \(5 failed sign-ins\)/);
    expect((await cli(['unlock', GUEST])).code).toBe(0);
    expect((await cli(['show', GUEST])).stdout).toMatch(/sign-in\s+not locked \(0 failed sign-ins\)/);

    const actions = (await show()).history.map((h) => h.action);
    expect(actions).toEqual([
      'invite',
      'join.password',
      'join.tos-declined',
      'join',
      'join.mfa-secret',
      'join.answers-kept',
      'join.code-failed',
      'join.answers-kept',
      'join.mfa',
      'join.apps',
      'join.device',
      'signin.failed',
      'signin.failed',
      'signin.failed',
      'signin.failed',
      'signin.failed',
      'signin.locked',
      'unlock',
    ]);
  });
});

describe('links and emails are checked', () => {
  test('a link that leads anywhere but the workspace sign-in page is refused as phishing (exit 2), nothing changes', async () => {
    const { cli, temp, dir, text, show } = await invited();
    const link = /Join as a guest: (\S+)/.exec(text)?.[1] ?? '';
    const forged = path.join(dir, 'forged.eml');
    fs.writeFileSync(
      forged,
      `From: Acme <invites@acme.example>\r\nTo: ${GUEST}\r\nSubject: Join Acme\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nWorkspace name: Acme\r\nUsername: ${GUEST}\r\nTemporary password: ${temp}\r\nJoin as a guest: https://evil.example/phish?username=ada%40partner.example\r\n`,
    );
    const phished = await cli(['join', '--email-file', forged, '--new-password', PASSWORD, ...names, '--accept-tos']);
    expect(phished.code).toBe(2);
    expect(phished.stderr).toMatch(/this link does not lead to Acme's sign-in page \(https:\/\/cerby\.localhost\): it may be phishing/);
    const hostile = [
      `javascript:alert(1)//cerby.localhost/guest/join?username=${encodeURIComponent(GUEST)}`,
      link.replace('https://', 'http://'),
      link.replace('cerby.localhost', 'cerby.localhost.evil.example'),
      link.replace('https://', 'https://user:pw@'),
    ];
    for (const bad of hostile) {
      const result = await cli(['join', '--link', bad, '--temp-password', temp]);
      expect([bad, result.code]).toEqual([bad, 2]);
    }
    expect((await show()).setup).toMatchObject({ passwordSet: false });
    expect((await show()).signIn.failures).toBe(0);
    // The real link still works.
    expect((await cli(['join', '--link', link, '--temp-password', temp, '--new-password', PASSWORD, ...names, '--accept-tos'])).code).toBe(0);
  });

  test('hostile 5 MB emails are answered in linear time (the field scan uses no backtracking regex)', async () => {
    const { cli } = await invited();
    const dir = tempDir();
    const size = 5 * 1024 * 1024 - 8192;
    const head = 'From: a@b.example\r\nTo: c@d.example\r\nSubject: x\r\n';
    const files = {
      'blank lines of spaces': `${head}Content-Type: text/plain\r\n\r\n${`${' '.repeat(200)}\n`.repeat(Math.floor(size / 201))}`,
      'one long line': `${head}Content-Type: text/plain\r\n\r\nUsername:${' '.repeat(size / 2)}${'x'.repeat(size / 2 - 200)}\n`,
      'deep MIME nesting': `${head}Content-Type: multipart/mixed; boundary="b0"\r\n\r\n${Array.from({ length: 20000 }, (_, i) => `--b${i}\r\nContent-Type: multipart/mixed; boundary="b${i + 1}"\r\n\r\n`).join('')}`,
    };
    for (const [name, content] of Object.entries(files)) {
      const file = path.join(dir, `${name.replace(/ /g, '-')}.eml`);
      fs.writeFileSync(file, content.slice(0, size));
      const started = performance.now();
      const result = await cli(['join', '--email-file', file]);
      const ms = performance.now() - started;
      expect([name, result.code]).toEqual([name, 2]);
      expect(result.stderr).toMatch(/is not (a cerby-guests invite email|an email cerby-guests can read)/);
      // A generous bound (the bench prints the figure, about 0.1 s): a super-linear scan took 96 s for 160 KB.
      expect(ms).toBeLessThan(5000);
    }
  }, 60_000);

  test('the field scan reads the first of each label, needs a space after the colon, ignores the rest', () => {
    const fields = accountDetails('  Username:   ada@partner.example  \r\nUsername: second@x.example\nTemporary password:x\nWorkspace name:\tAcme\nJoin as a guest: https://a/guest/join\n');
    expect(Object.fromEntries(fields)).toEqual({ Username: 'ada@partner.example', 'Workspace name': 'Acme', 'Join as a guest': 'https://a/guest/join' });
  });

  test('usernames are compared after NFC: a decomposed address is the same guest', async () => {
    const ws = await workspace();
    expect((await ws.cli(['invite', 'josé@partner.example'])).code).toBe(0);
    const eml = path.join(ws.dir, 'guests.outbox', fs.readdirSync(path.join(ws.dir, 'guests.outbox'))[0] ?? '');
    const { simpleParser } = await import('mailparser');
    const temp = tempPasswordFrom(String((await simpleParser(fs.readFileSync(eml))).text));
    const decomposed = 'JOSE\u0301@partner.example';
    const result = await ws.cli(['join', '--username', decomposed, '--temp-password', temp, '--new-password', PASSWORD, ...names, '--accept-tos', '--json']);
    expect(result.code).toBe(0);
    expect(json(result)).toMatchObject({ email: 'josé@partner.example', status: 'joined' });
  });
});

describe('the QR code', () => {
  const URI = 'otpauth://totp/Cerby%20Acme:ada%40partner.example?issuer=Cerby%20Acme&secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&algorithm=SHA1&digits=6&period=30';

  /** Paints the rendered text as a terminal would (4 px per module), each cell in its own explicit colours. */
  function paint(rendered: string, terminalBackground: number): { data: Uint8ClampedArray; width: number; height: number } {
    const lines = rendered.split('\n');
    const scale = 4;
    // eslint-disable-next-line no-control-regex
    const columns = [...lines[0]!.replace(/\u001b\[[0-9;]*m/g, '')].length;
    const width = columns * scale;
    const height = lines.length * 2 * scale;
    const data = new Uint8ClampedArray(width * height * 4).fill(terminalBackground);
    lines.forEach((line, row) => {
      // Each cell: fg, bg, then the upper half block.
      // eslint-disable-next-line no-control-regex
      const cells = [...line.matchAll(/\u001b\[38;5;(\d+)m\u001b\[48;5;(\d+)m▀/g)];
      expect(cells).toHaveLength(columns);
      cells.forEach((cell, column) => {
        const top = cell[1] === '16' ? 0 : 255;
        const bottom = cell[2] === '16' ? 0 : 255;
        for (let dy = 0; dy < 2 * scale; dy++) {
          for (let dx = 0; dx < scale; dx++) {
            const offset = ((row * 2 * scale + dy) * width + column * scale + dx) * 4;
            data.fill(dy < scale ? top : bottom, offset, offset + 3);
            data[offset + 3] = 255;
          }
        }
      });
    });
    return { data, width, height };
  }

  test('drawn in explicit black on white with a 4-module quiet zone: it decodes on a light and on a dark terminal', () => {
    const rendered = renderQrForTerminal(URI);
    const modules = qrModules(URI);
    // The quiet zone: 4 light modules on every side.
    for (let i = 0; i < QUIET_ZONE; i++) {
      expect(modules[i]!.every((dark) => !dark)).toBe(true);
      expect(modules.at(-1 - i)!.every((dark) => !dark)).toBe(true);
      expect(modules.every((row) => !row[i] && !row.at(-1 - i))).toBe(true);
    }
    for (const background of [255, 0]) {
      const { data, width, height } = paint(rendered, background);
      expect(jsQR(data, width, height)?.data).toBe(URI);
    }
  });

  test('--qr-file writes a PNG (0600) that decodes to the otpauth URI; an existing file is refused before anything changes', async () => {
    const { cli, eml, passwordFile, dir, show } = await invited();
    const taken = path.join(dir, 'taken.png');
    fs.writeFileSync(taken, 'mine');
    const refused = await cli(['join', '--email-file', eml, '--new-password-file', passwordFile, ...names, '--accept-tos', '--qr-file', taken]);
    expect([refused.code, /--qr-file .*taken\.png exists already/.test(refused.stderr)]).toEqual([2, true]);
    expect(fs.readFileSync(taken, 'utf8')).toBe('mine');
    expect((await show()).setup).toMatchObject({ passwordSet: false });

    const file = path.join(dir, 'code.png');
    const result = await cli(['join', '--email-file', eml, '--new-password-file', passwordFile, ...names, '--accept-tos', '--qr-file', file, '--json']);
    expect(result.code).toBe(0);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    const png = PNG.sync.read(fs.readFileSync(file));
    const mfa = json(result).mfa as { secret: string; uri: string } | undefined;
    expect(jsQR(new Uint8ClampedArray(png.data), png.width, png.height)?.data).toBe(mfa?.uri);
  });
});
