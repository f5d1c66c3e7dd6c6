import fs from 'node:fs';
import path from 'node:path';
import { makeCa, startSmtp, tempDir, workspace, type TestCa, type TestSmtp } from './helpers.js';

/**
 * Delivery an admin can deploy (issue 11): a private CA trusted by --smtp-ca-file, STARTTLS
 * and AUTH both required, implicit TLS, the two scheme/port mix-ups in plain words within
 * 10 s, doctor's sender probe, the EHLO name and QUIT — all against a real smtp-server with
 * certificates from a CA this test makes (openssl).
 */

const LOGIN = { user: 'mailer', pass: 'smtp-secret-pass' };
const OPENSSL_INTERNALS = /error:0A|ssl3_|SSL routines|wrong version number|DEPTH_ZERO|UNABLE_TO/;

let ca: TestCa;
let passwordFile: string;
const servers: TestSmtp[] = [];

beforeAll(() => {
  ca = makeCa();
  passwordFile = path.join(tempDir(), 'smtp-pass');
  fs.writeFileSync(passwordFile, LOGIN.pass, { mode: 0o600 });
});

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

/** STARTTLS offered and AUTH required (smtp-server allows AUTH only over TLS). */
async function startTlsServer(extra: Parameters<typeof startSmtp>[0] = {}): Promise<TestSmtp> {
  const server = await startSmtp({ login: LOGIN, disabledCommands: [], key: ca.key, cert: ca.cert, ...extra });
  servers.push(server);
  return server;
}

async function startImplicitTlsServer(): Promise<TestSmtp> {
  const server = await startSmtp({ login: LOGIN, secure: true, key: ca.key, cert: ca.cert });
  servers.push(server);
  return server;
}

describe('a private CA', () => {
  test('without --smtp-ca-file the untrusted certificate stops the run in plain words (naming the flag and NODE_EXTRA_CA_CERTS); with it, mail goes out over TLS with AUTH', async () => {
    const smtp = await startTlsServer();
    // localhost, not loopback-by-number: requireTLS is the default for other hosts, here asked for explicitly.
    const url = `smtp://${LOGIN.user}@localhost:${smtp.port}?requireTLS=true`;
    const { cli } = await workspace({ smtp: url });
    const refused = await cli(['--smtp-password-file', passwordFile, 'invite', 'ada@partner.example']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/the certificate of smtp:\/\/mailer@localhost:\d+ is not trusted: it was issued by a CA this machine does not trust\. Give its CA with --smtp-ca-file FILE \(or `cerby-guests config set smtp-ca-file FILE`; NODE_EXTRA_CA_CERTS=FILE also works\)/);
    expect(refused.stderr).not.toMatch(OPENSSL_INTERNALS);
    expect(smtp.messages).toHaveLength(0);
    expect(JSON.parse((await cli(['outbox', 'list', '--json'])).stdout).messages).toMatchObject([{ state: 'queued' }]);

    // Saved once, then every command trusts the CA.
    expect((await cli(['config', 'set', 'smtp-ca-file', ca.caFile])).code).toBe(0);
    expect((await cli(['config', 'set', 'smtp-password-file', passwordFile])).code).toBe(0);
    const flushed = await cli(['outbox', 'flush']);
    expect(flushed.code).toBe(0);
    expect(smtp.messages).toHaveLength(1);
    expect(smtp.sessions.at(-1)).toMatchObject({ secure: true, user: LOGIN.user });
    expect(flushed.stdout + flushed.stderr).not.toContain(LOGIN.pass);
  });

  test('implicit TLS (smtps://) with the CA', async () => {
    const smtp = await startImplicitTlsServer();
    const { cli } = await workspace({ smtp: `smtps://${LOGIN.user}@localhost:${smtp.port}` });
    const sent = await cli(['--smtp-password-file', passwordFile, '--smtp-ca-file', ca.caFile, 'invite', 'ada@partner.example']);
    expect(sent.code).toBe(0);
    expect(smtp.sessions).toMatchObject([{ secure: true, user: LOGIN.user }]);
  });

  test('a CA file that holds no certificate is a usage error before anything is sent', async () => {
    const smtp = await startTlsServer();
    const { cli, dir } = await workspace({ smtp: `smtp://${LOGIN.user}@localhost:${smtp.port}` });
    const bogus = path.join(dir, 'not-a-ca.pem');
    fs.writeFileSync(bogus, 'hello');
    const result = await cli(['--smtp-ca-file', bogus, '--smtp-password-file', passwordFile, 'invite', 'ada@partner.example']);
    expect([result.code, /holds no PEM certificate/.test(result.stderr)]).toEqual([2, true]);
    expect(smtp.rcpts).toEqual([]);
  });
});

describe('scheme and port mix-ups, in plain words within 10 s', () => {
  test('smtp:// to an implicit-TLS port: "expects TLS from the first byte: use smtps://"; the message stays queued for the right URL', async () => {
    const smtp = await startImplicitTlsServer();
    const { cli } = await workspace({ smtp: `smtp://${LOGIN.user}@localhost:${smtp.port}` });
    const started = performance.now();
    const result = await cli(['--smtp-password-file', passwordFile, '--smtp-ca-file', ca.caFile, 'invite', 'ada@partner.example']);
    const seconds = (performance.now() - started) / 1000;
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(new RegExp(`smtp://mailer@localhost:${smtp.port} expects TLS from the first byte \\(implicit TLS, usually port 465\\): use smtps://localhost:${smtp.port}`));
    expect(result.stderr).not.toMatch(OPENSSL_INTERNALS);
    // The default greeting wait (6 s) plus one TLS probe: the bound is 10 s.
    expect(seconds).toBeLessThan(10);
    // The hint names the corrected URL and works as printed.
    const hint = /then run `cerby-guests ([^`]*)`/.exec(result.stderr)?.[1] ?? '';
    expect(hint).toContain(`--smtp smtps://mailer@localhost:${smtp.port}`);
    const fixed = await cli(hint.split(' '));
    expect(fixed.code).toBe(0);
    expect(smtp.messages).toHaveLength(1);
  }, 20_000);

  test('smtps:// to a STARTTLS port: "does not start with TLS: use smtp:// (STARTTLS)", no OpenSSL string', async () => {
    const smtp = await startTlsServer();
    const { cli } = await workspace({ smtp: `smtps://${LOGIN.user}@localhost:${smtp.port}` });
    const started = performance.now();
    const result = await cli(['--smtp-password-file', passwordFile, '--smtp-ca-file', ca.caFile, 'invite', 'ada@partner.example']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(new RegExp(`smtps://mailer@localhost:${smtp.port} does not start with TLS \\(it speaks plain SMTP first\\): use smtp://localhost:${smtp.port} \\(STARTTLS\\) instead of smtps://`));
    expect(result.stderr).not.toMatch(OPENSSL_INTERNALS);
    expect(performance.now() - started).toBeLessThan(10_000);
    expect(JSON.parse((await cli(['outbox', 'list', '--json'])).stdout).messages).toMatchObject([{ state: 'queued' }]);
  });
});

describe('doctor checks what a send needs', () => {
  test('connect, TLS (subject, issuer, days to expiry), AUTH, sender, recipient: one line each, exit 0; nothing is sent', async () => {
    const smtp = await startTlsServer();
    const { cli } = await workspace({ smtp: `smtp://${LOGIN.user}@localhost:${smtp.port}` });
    const result = await cli(['--smtp-password-file', passwordFile, '--smtp-ca-file', ca.caFile, 'doctor', '--to', 'ada@partner.example']);
    expect(result.code).toBe(0);
    const smtpLines = result.stdout.split('\n').filter((l) => /smtp/.test(l.split(':')[0] ?? ''));
    expect(smtpLines).toHaveLength(5);
    expect(smtpLines[0]).toMatch(/^✓ smtp connect: smtp:\/\/mailer@localhost:\d+: 220 .* \(EHLO acme\.example\)$/);
    expect(smtpLines[1]).toMatch(/^✓ smtp tls: TLSv1\.[23], certificate localhost issued by cerby-guests test CA, expires in \d+ day\(s\)$/);
    expect(smtpLines[2]).toMatch(/^✓ smtp auth: .*authenticated as mailer$/);
    expect(smtpLines[3]).toBe('✓ smtp sender: MAIL FROM:<no-reply@acme.example> accepted');
    expect(smtpLines[4]).toBe('✓ smtp recipient: RCPT TO:<ada@partner.example> accepted (nothing was sent: RSET)');
    expect(smtp.messages).toHaveLength(0);
    expect(smtp.commands.map((c) => c.line.split(' ')[0])).toEqual(['EHLO', 'STARTTLS', 'EHLO', 'AUTH', 'MAIL', 'RCPT', 'RSET', 'QUIT']);
    expect(result.stdout + result.stderr).not.toContain(LOGIN.pass);

    const byDefault = await cli(['--smtp-password-file', passwordFile, '--smtp-ca-file', ca.caFile, 'doctor']);
    expect(byDefault.code).toBe(0);
    expect(byDefault.stdout).toContain('✓ smtp recipient: RCPT TO:<owner@acme.example> accepted (the workspace owner; --to ADDRESS checks another; nothing was sent: RSET)');
    expect(smtp.messages).toHaveLength(0);
  });

  test('a server that refuses the sender (554) fails doctor at "smtp sender"; one that refuses only at RCPT (Postfix\'s delayed reject) at "smtp recipient", with or without --to', async () => {
    const refusesSender = await startTlsServer({ onMailFrom: () => ({ code: 554, message: '5.7.1 Client host rejected: Access denied' }) });
    const a = await workspace({ smtp: `smtp://${LOGIN.user}@localhost:${refusesSender.port}` });
    const sender = await a.cli(['--smtp-password-file', passwordFile, '--smtp-ca-file', ca.caFile, 'doctor']);
    expect(sender.code).toBe(1);
    expect(sender.stdout).toMatch(/✗ smtp sender: smtp:\/\/mailer@localhost:\d+: MAIL FROM:<no-reply@acme\.example> refused: 554 5\.7\.1 Client host rejected: Access denied/);

    const refusesRcpt = await startTlsServer({ onRcpt: () => ({ code: 554, message: '5.7.1 Relay access denied' }) });
    const b = await workspace({ smtp: `smtp://${LOGIN.user}@localhost:${refusesRcpt.port}` });
    // Without --to the workspace owner is probed: Postfix refuses a client or sender only at RCPT.
    const withoutTo = await b.cli(['--smtp-password-file', passwordFile, '--smtp-ca-file', ca.caFile, 'doctor']);
    expect(withoutTo.code).toBe(1);
    expect(withoutTo.stdout).toMatch(/✓ smtp sender: MAIL FROM:<no-reply@acme\.example> accepted\n/);
    expect(withoutTo.stdout).toMatch(/✗ smtp recipient: .*RCPT TO:<owner@acme\.example> refused: 554 5\.7\.1 Relay access denied/);
    const withTo = await b.cli(['--smtp-password-file', passwordFile, '--smtp-ca-file', ca.caFile, 'doctor', '--to', 'someone@partner.example']);
    expect(withTo.code).toBe(1);
    expect(withTo.stdout).toMatch(/✗ smtp recipient: .*RCPT TO:<someone@partner\.example> refused: 554 5\.7\.1 Relay access denied/);
    expect(refusesRcpt.messages).toHaveLength(0);
  });

  test('an untrusted certificate and a mix-up fail doctor with the same plain words', async () => {
    const smtp = await startTlsServer();
    const { cli } = await workspace({ smtp: `smtp://${LOGIN.user}@localhost:${smtp.port}` });
    const untrusted = await cli(['--smtp-password-file', passwordFile, 'doctor']);
    expect(untrusted.code).toBe(1);
    expect(untrusted.stdout).toMatch(/✗ smtp tls: .*is not trusted: it was issued by a CA this machine does not trust\. Give its CA with --smtp-ca-file FILE/);
    const mixedUp = await cli(['--smtp', `smtps://${LOGIN.user}@localhost:${smtp.port}`, '--smtp-password-file', passwordFile, 'doctor']);
    expect(mixedUp.stdout).toMatch(/✗ smtp connect: .*does not start with TLS/);
    expect(untrusted.stdout + mixedUp.stdout).not.toMatch(OPENSSL_INTERNALS);
  });
});

describe('mail hygiene', () => {
  test('EHLO names the sender domain (or --smtp-helo); every connection ends with QUIT', async () => {
    const smtp = await startTlsServer();
    const { cli } = await workspace({ smtp: `smtp://${LOGIN.user}@localhost:${smtp.port}` });
    const flags = ['--smtp-password-file', passwordFile, '--smtp-ca-file', ca.caFile];
    expect((await cli([...flags, 'invite', 'a@partner.example', 'b@partner.example', 'c@partner.example'])).code).toBe(0);
    expect((await cli([...flags, '--smtp-helo', 'mailer.acme.example', 'invite', 'd@partner.example'])).code).toBe(0);
    expect(smtp.sessions.map((s) => s.helo)).toEqual(['acme.example', 'acme.example', 'acme.example', 'mailer.acme.example']);
    // QUIT is sent when the run closes its pool; the server reads it a moment later.
    const connections = () => new Set(smtp.commands.filter((c) => c.line.startsWith('MAIL')).map((c) => c.cid));
    const quits = () => new Set(smtp.commands.filter((c) => c.line === 'QUIT').map((c) => c.cid));
    // Polled (the QUIT travels after the command returned), bounded at 2 s.
    for (let waited = 0; waited < 2000 && ![...connections()].every((cid) => quits().has(cid)); waited += 10) await new Promise((resolve) => setTimeout(resolve, 10));
    expect({ connections: [...connections()], quits: [...quits()], commands: smtp.commands }).toMatchObject({ quits: expect.arrayContaining([...connections()]) });
    expect(connections().size).toBeGreaterThan(0);
  });
});
