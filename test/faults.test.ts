import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { classifySendError } from '../src/delivery/classify.js';
import { openStore } from '../src/store/store.js';
import { checkTempPassword } from '../src/join/signin.js';
import { startSmtp, tempDir, tempPasswordFrom, workspace, type TestSmtp } from './helpers.js';

const servers: TestSmtp[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});
async function smtp(options: Parameters<typeof startSmtp>[0] = {}) {
  const server = await startSmtp(options);
  servers.push(server);
  return server;
}

async function outbox(db: string) {
  const store = openStore(db, { create: false });
  try {
    return await store.outbox.list();
  } finally {
    await store.close();
  }
}

describe('classifying SMTP failures', () => {
  test.each([
    [{ code: 'EENVELOPE', command: 'RCPT TO', responseCode: 451 }, 'transient'],
    [{ code: 'EMESSAGE', command: 'DATA', responseCode: 452, dataHandedOver: true }, 'transient'],
    [{ code: 'EENVELOPE', command: 'RCPT TO', responseCode: 550 }, 'permanent'],
    [{ code: 'EMESSAGE', command: 'DATA', responseCode: 554, dataHandedOver: true }, 'permanent'],
    [{ code: 'ECONNECTION', command: 'CONN', dataHandedOver: false }, 'transient'],
    [{ code: 'ECONNECTION', command: 'CONN', dataHandedOver: true }, 'unknown'],
    [{ code: 'ETIMEDOUT', command: 'CONN', dataHandedOver: true }, 'unknown'],
    [{ code: 'ESOCKET', command: 'CONN', message: 'connect ECONNREFUSED 127.0.0.1:1' }, 'transient'],
    [{ code: 'EAUTH', command: 'AUTH PLAIN', responseCode: 535 }, 'fatal'],
    [{ code: 'ETLS', command: 'STARTTLS' }, 'fatal'],
    [{ deadline: true }, 'unknown'],
  ])('%j → %s', (error, expected) => {
    expect(classifySendError(error)).toBe(expected);
  });
});

describe('fault injection against a real SMTP server', () => {
  test('451 then accepted: retried with backoff and sent once, attempts recorded', async () => {
    const tries = new Map<string, number>();
    const server = await smtp({
      onRcpt: (a) => {
        const n = (tries.get(a) ?? 0) + 1;
        tries.set(a, n);
        return n === 1 ? { code: 451, message: 'Greylisted, try again' } : undefined;
      },
    });
    const { cli, db } = await workspace({ smtp: server.url });
    const result = await cli(['invite', 'grey@partner.example']);
    expect(result.code).toBe(0);
    expect(server.messages).toHaveLength(1);
    expect((await outbox(db))[0]).toMatchObject({ state: 'sent', attempts: 2 });
  });

  test('451 every time: left queued after the attempts, exit 1, flush sends it once the server accepts', async () => {
    let greylist = true;
    const server = await smtp({ onRcpt: () => (greylist ? { code: 451, message: 'Try later' } : undefined) });
    const { cli, db, clock } = await workspace({ smtp: server.url });
    const result = await cli(['invite', 'grey@partner.example']);
    expect(result.code).toBe(1);
    expect((await outbox(db))[0]).toMatchObject({ state: 'queued', attempts: 3, lastError: '451 Try later' });
    greylist = false;
    clock.advance(60_000);
    const flush = await cli(['outbox', 'flush']);
    expect(flush.code).toBe(0);
    expect(server.messages).toHaveLength(1);
    expect((await outbox(db))[0]!.state).toBe('sent');
  });

  test('connection dropped after the data: unknown, never resent silently; --retry-unknown resends with the same Message-ID', async () => {
    let drop = true;
    const server = await smtp({ afterData: () => (drop ? 'drop' : undefined) });
    const { cli, db, clock } = await workspace({ smtp: server.url });
    const result = await cli(['invite', 'doubt@partner.example']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/delivery unknown/);
    const [row] = (await outbox(db));
    expect(row).toMatchObject({ state: 'unknown', attempts: 1 });
    expect(row!.lastError).toMatch(/after the message was handed over/);
    expect(server.messages).toHaveLength(1);

    drop = false;
    clock.advance(3_600_000);
    expect((await cli(['outbox', 'flush'])).stderr).toContain('nothing is due');
    expect(server.messages).toHaveLength(1);

    const retry = await cli(['outbox', 'flush', '--retry-unknown']);
    expect(retry.code).toBe(0);
    expect(server.messages).toHaveLength(2);
    expect(server.messages[1]!.parsed.messageId).toBe(server.messages[0]!.parsed.messageId);
    // Both emails work: the first may have reached the guest.
    const store = openStore(db, { create: false });
    const ws = (await store.workspace.get())!;
    for (const mail of server.messages) {
      expect((await checkTempPassword(store, ws, 'doubt@partner.example', tempPasswordFrom(mail.parsed.text!), clock.current.toISOString())).verdict).toBe('ok');
    }
    await store.close();
    expect(JSON.parse((await cli(['outbox', 'list', '--json'])).stdout).counts).toMatchObject({ sent: 1, unknown: 0 });
  });

  test('a server that takes the data and never answers: past the send deadline the email is unknown, never resent silently', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const server = await smtp({ holdData: () => held });
    try {
      const { cli, db } = await workspace({ smtp: server.url, env: { CERBY_GUESTS_SEND_DEADLINE_MS: '1000' } });
      const result = await cli(['invite', 'held@partner.example']);
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/delivery unknown/);
      const [row] = await outbox(db);
      expect(row).toMatchObject({ state: 'unknown', attempts: 1 });
      expect(row!.lastError).toBe('no answer from the SMTP server within 1 s');
      expect(server.messages).toHaveLength(1);
    } finally {
      release();
    }
  });

  test('a server that never answers: timeout before any data → queued, exit 1', async () => {
    // Accepts and never answers; its sockets are destroyed at the end (close() alone keeps them).
    const accepted = new Set<net.Socket>();
    const silent = net.createServer((socket) => accepted.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const port = (silent.address() as net.AddressInfo).port;
      const { cli, db } = await workspace({ smtp: `smtp://127.0.0.1:${port}`, env: { CERBY_GUESTS_SMTP_TIMEOUT_MS: '200', CERBY_GUESTS_SEND_ATTEMPTS: '2' } });
      const result = await cli(['invite', 'silent@partner.example']);
      expect(result.code).toBe(1);
      expect((await outbox(db))[0]).toMatchObject({ state: 'queued', attempts: 2 });
      expect((await outbox(db))[0]!.lastError).toMatch(/Timeout|timed out|Greeting never received/i);
    } finally {
      for (const socket of accepted) socket.destroy();
      silent.close();
    }
  });

  test('a wrong SMTP password stops the run at once with one line; nothing is lost; the password is never printed', async () => {
    const server = await smtp({ login: { user: 'mailer', pass: 'right-pass' } });
    const dir = tempDir();
    const passwordFile = path.join(dir, 'smtp-pass');
    fs.writeFileSync(passwordFile, 'Wr0ng-P4ss-do-not-print\n', { mode: 0o600 });
    const { cli, db } = await workspace({ smtp: `smtp://mailer@127.0.0.1:${server.port}` });
    const csv = path.join(dir, 'g.csv');
    fs.writeFileSync(csv, `email\n${Array.from({ length: 30 }, (_, i) => `g${i}@partner.example`).join('\n')}\n`);
    const result = await cli(['--smtp-password-file', passwordFile, 'invite', '--csv', csv], { env: { CERBY_GUESTS_DEBUG: '1' } });
    expect(result.code).toBe(1);
    const lines = result.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/SMTP smtp:\/\/mailer@127\.0\.0\.1:\d+: 535 Invalid username or password; the invites are saved and queued/);
    expect(result.stderr + result.stdout).not.toContain('Wr0ng-P4ss');
    expect(server.messages).toHaveLength(0);
    const rows = (await outbox(db));
    expect(rows).toHaveLength(30);
    expect(rows.every((r) => r.state === 'queued')).toBe(true);
    expect(fs.readFileSync(db).includes('Wr0ng-P4ss')).toBe(false);

    fs.writeFileSync(passwordFile, 'right-pass\n');
    const flush = await cli(['--smtp-password-file', passwordFile, 'outbox', 'flush']);
    expect(flush.code).toBe(0);
    expect(server.messages).toHaveLength(30);
  });

  test('secrets never leak: after a run with a failing SMTP and --verbose, no output or store file holds a temporary password or the SMTP password', async () => {
    const tries = new Map<string, number>();
    const server = await smtp({
      login: { user: 'mailer', pass: 'Smtp-Secret-9f3a' },
      onRcpt: (a) => {
        const n = (tries.get(a) ?? 0) + 1;
        tries.set(a, n);
        if (a.startsWith('bounce')) return { code: 550, message: 'No such user' };
        return a.startsWith('grey') && n === 1 ? { code: 451, message: 'Greylisted' } : undefined;
      },
      afterData: (mail) => (mail.to[0]!.startsWith('drop') ? 'drop' : undefined),
    });
    const dir = tempDir();
    const passwordFile = path.join(dir, 'smtp-pass');
    fs.writeFileSync(passwordFile, 'Smtp-Secret-9f3a\n', { mode: 0o600 });
    const csv = path.join(dir, 'g.csv');
    fs.writeFileSync(csv, 'email\nok@partner.example\nbounce@partner.example\ngrey@partner.example\ndrop@partner.example\n');
    const { cli, db } = await workspace({ smtp: `smtp://mailer@127.0.0.1:${server.port}`, env: { CERBY_GUESTS_DEBUG: '1' } });
    const outputs: string[] = [];
    for (const argv of [
      ['invite', '--csv', csv, '--json'],
      ['resend', 'ok@partner.example', '--json'],
      ['outbox', 'flush', '--retry-unknown', '--json'],
      ['outbox', 'list', '--json'],
      ['list', '--json'],
      ['show', 'ok@partner.example', '--json'],
      ['doctor', '--json'],
    ]) {
      const result = await cli(['--smtp-password-file', passwordFile, '--verbose', ...argv]);
      outputs.push(result.stdout, result.stderr);
    }
    expect(outputs.join('')).toMatch(/attempt 1 to grey@partner\.example .*transient: 451 Greylisted/);
    // The guest joins from the email the server received and turns on MFA.
    const eml = path.join(dir, 'ok.eml');
    fs.writeFileSync(eml, server.messages.filter((m) => m.to[0] === 'ok@partner.example').pop()!.raw);
    const own = 'my own passphrase 7f2c9a';
    const joined = await cli(['join', '--email-file', eml, '--new-password', own, '--name', 'O', '--family-name', 'K', '--accept-tos', '--json']);
    expect(joined.code).toBe(0);
    const totpSecret = JSON.parse(joined.stdout).mfa.secret as string;
    const code = (await import('../src/crypto/totp.js')).totpCode(totpSecret, Date.parse('2026-11-23T10:00:00.000Z'));
    expect((await cli(['join', '--username', 'ok@partner.example', '--password', own, '--totp-code', code, '--apps', 'mobile', '--device', 'd'])).code).toBe(0);
    for (const argv of [['list', '--json'], ['show', 'ok@partner.example', '--json'], ['outbox', 'list', '--json'], ['doctor']]) {
      const result = await cli(['--smtp-password-file', passwordFile, '--verbose', ...argv]);
      outputs.push(result.stdout, result.stderr);
    }
    const passwords = server.messages.map((m) => tempPasswordFrom(m.parsed.text!));
    expect(passwords.length).toBeGreaterThanOrEqual(4);
    const haystacks = [outputs.join('\n'), ...[db, `${db}-wal`, `${db}-shm`].filter((f) => fs.existsSync(f)).map((f) => fs.readFileSync(f).toString('latin1'))];
    for (const secret of [...passwords, totpSecret, own, 'Smtp-Secret-9f3a', Buffer.from('\u0000mailer\u0000Smtp-Secret-9f3a').toString('base64')]) {
      for (const hay of haystacks) expect(hay.includes(secret)).toBe(false);
    }
  });

  test('a password file readable by others is refused', async () => {
    const dir = tempDir();
    const passwordFile = path.join(dir, 'smtp-pass');
    fs.writeFileSync(passwordFile, 'x', { mode: 0o644 });
    const { cli } = await workspace({ smtp: 'smtp://mailer@127.0.0.1:2525' });
    const result = await cli(['--smtp-password-file', passwordFile, 'invite', 'a@partner.example']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/must be mode 0600/);
  });

  test('plain SMTP to a non-loopback host is refused unless the URL allows it', async () => {
    const { parseSmtpUrl } = await import('../src/mail/smtp-config.js');
    expect(parseSmtpUrl('smtp://mail.acme.example').requireTLS).toBe(true);
    expect(parseSmtpUrl('smtp://mail.acme.example?requireTLS=false').requireTLS).toBe(false);
    expect(parseSmtpUrl('smtp://127.0.0.1:2525').requireTLS).toBe(false);
    expect(parseSmtpUrl('smtps://mail.acme.example').secure).toBe(true);
    expect(() => parseSmtpUrl('http://mail.acme.example')).toThrow(/smtp:\/\/ or smtps:\/\//);
  });

  test('mixed faults in one bulk run: each row ends in the state its fault calls for', async () => {
    const tries = new Map<string, number>();
    const server = await smtp({
      onRcpt: (a) => {
        const n = (tries.get(a) ?? 0) + 1;
        tries.set(a, n);
        if (a.startsWith('bounce')) return { code: 550, message: 'No such user' };
        if (a.startsWith('grey') && n === 1) return { code: 451, message: 'Greylisted' };
        return undefined;
      },
      afterData: (mail) => (mail.to[0]!.startsWith('drop') ? 'drop' : undefined),
    });
    const dir = tempDir();
    const csv = path.join(dir, 'mixed.csv');
    fs.writeFileSync(csv, 'email\nok1@partner.example\nbounce@partner.example\ngrey@partner.example\ndrop@partner.example\nok2@partner.example\n');
    const { cli, db } = await workspace({ smtp: server.url });
    const result = await cli(['invite', '--csv', csv, '--concurrency', '1', '--json']);
    expect(result.code).toBe(3);
    const states = Object.fromEntries((await outbox(db)).map((r) => [r.recipient, r.state]));
    expect(states).toEqual({
      'ok1@partner.example': 'sent',
      'bounce@partner.example': 'failed',
      'grey@partner.example': 'sent',
      'drop@partner.example': 'unknown',
      'ok2@partner.example': 'sent',
    });
    const report = JSON.parse(result.stdout);
    expect(report.counts).toEqual({ invited: 3, queued: 0, skipped: 0, failed: 2, duplicates: 0 });
  });
});
