import fs from 'node:fs';
import path from 'node:path';
import { classifySendError, describeSendError } from '../src/delivery/classify.js';
import { renderInviteEmail, type RenderedEmail } from '../src/email/render.js';
import { FolderMailer, SendCancelled, SmtpMailer, type Mailer } from '../src/mail/mailer.js';
import { parseSmtpUrl } from '../src/mail/smtp-config.js';
import { ThreadedSmtpMailer } from '../src/mail/threaded.js';
import { startSmtp, tempDir, type TestSmtp } from './helpers.js';

/**
 * A bulk run's SMTP pool runs on a thread of its own (ThreadedSmtpMailer). What the delivery
 * layer decides from depends on what comes back across the thread: the reply, and for each kind
 * of failure the fields classify.ts reads. Each case runs through both mailers against the same
 * real server and must come out the same.
 */

function email(to: string): RenderedEmail {
  return renderInviteEmail({
    workspaceName: 'Acme',
    signInUrl: 'https://acme.cerby.example',
    sender: 'no-reply@acme.example',
    recipient: to,
    guestName: null,
    tempPassword: 'Q7hWk2pRz9mVb4XcTn6yLd3F',
    inviter: 'owner@acme.example',
    customMessage: null,
    expiresAt: '2026-11-30T14:05:00.000Z',
    now: '2026-11-23T14:05:00.000Z',
    messageId: `<${to.replace('@', '.')}@acme.example>`,
    inviteToken: 'tok123',
  });
}

const kinds = {
  'in-process': (url: string) => new SmtpMailer(parseSmtpUrl(url), { maxConnections: 2, connectionTimeout: 2000, greetingTimeout: 2000 }),
  threaded: (url: string) => new ThreadedSmtpMailer(parseSmtpUrl(url), { maxConnections: 2, connectionTimeout: 2000, greetingTimeout: 2000 }),
};

let smtp: TestSmtp;
beforeAll(async () => {
  smtp = await startSmtp({
    onRcpt: (to) => (to.startsWith('nobody@') ? { code: 550, message: 'No such user here' } : to.startsWith('busy@') ? { code: 451, message: 'Try again later' } : undefined),
    afterData: (mail) => (mail.to[0]?.startsWith('drop@') ? 'drop' : undefined),
  });
});
afterAll(() => smtp.close());

/** How each case went, as the delivery layer sees it. */
async function outcome(mailer: Mailer, to: string): Promise<{ outcome: string; detail: string }> {
  try {
    const receipt = await mailer.send(email(to), 'stem');
    return { outcome: 'sent', detail: receipt.response.replace(/ [\w-]+$/, '') };
  } catch (error) {
    return { outcome: classifySendError(error), detail: describeSendError(error) };
  }
}

test.each(Object.keys(kinds) as (keyof typeof kinds)[])('%s: sent, refused (5xx), deferred (4xx) and dropped after the data (in doubt) alike', async (kind) => {
  const mailer = kinds[kind](smtp.url);
  try {
    const results = [];
    for (const to of ['ada@p.example', 'nobody@p.example', 'busy@p.example', 'drop@p.example', 'bo@p.example']) results.push(await outcome(mailer, to));
    expect(results).toEqual([
      { outcome: 'sent', detail: expect.stringMatching(/^250 /) as string },
      { outcome: 'permanent', detail: expect.stringMatching(/^550 No such user here/) as string },
      { outcome: 'transient', detail: expect.stringMatching(/^451 Try again later/) as string },
      { outcome: 'unknown', detail: expect.stringMatching(/\(after the message was handed over\)$/) as string },
      { outcome: 'sent', detail: expect.stringMatching(/^250 /) as string },
    ]);
    await expect(mailer.verify()).resolves.toBeUndefined();
  } finally {
    mailer.close();
  }
});

test('threaded: the bytes that arrive are the in-process ones (same headers, same parts)', async () => {
  const before = smtp.messages.length;
  for (const make of Object.values(kinds)) {
    const mailer = make(smtp.url);
    await mailer.send(email('same@p.example'));
    mailer.close();
  }
  const [a, b] = smtp.messages.slice(before);
  // Composed by the mailer itself (composeInvite), not by nodemailer's MIME tree.
  expect(a!.raw).toMatch(/boundary="=_cerby_[0-9a-f]{24}"/);
  // Only what is made anew for every message differs: the date and the MIME boundary.
  const strip = (raw: string) => raw.replace(/^Date: .*$/m, '').replace(/=_cerby_[0-9a-f]+/g, 'BOUNDARY');
  expect(strip(b!.raw)).toBe(strip(a!.raw));
});

test('threaded: a server that is down is a connection failure (no reply), and authentication fails as fatal', async () => {
  const down = kinds.threaded('smtp://127.0.0.1:1');
  const error = await down.send(email('ada@p.example')).catch((e: unknown) => e);
  down.close();
  expect(classifySendError(error)).toBe('transient');
  expect((error as { code?: string }).code).toBe('ESOCKET');

  const guarded = await startSmtp({ login: { user: 'mailer', pass: 'right' } });
  try {
    const mailer = new ThreadedSmtpMailer(parseSmtpUrl(`smtp://mailer:wrong@127.0.0.1:${guarded.port}`), { maxConnections: 1 });
    const refused = await mailer.send(email('ada@p.example')).catch((e: unknown) => e);
    mailer.close();
    expect(classifySendError(refused)).toBe('fatal');
    expect((refused as { code?: string }).code).toBe('EAUTH');
    expect((refused as Error).message).toMatch(/535 Invalid username or password/);
  } finally {
    await guarded.close();
  }
});

test('threaded: closing says QUIT on every connection, and the thread ends', async () => {
  const mailer = new ThreadedSmtpMailer(parseSmtpUrl(smtp.url), { maxConnections: 2 });
  await Promise.all(['q1@p.example', 'q2@p.example'].map((to) => mailer.send(email(to))));
  const worker = (mailer as unknown as { worker: import('node:worker_threads').Worker }).worker;
  const exited = new Promise<number>((resolve) => worker.once('exit', resolve));
  mailer.close();
  await expect(exited).resolves.toBe(0);
  const cids = new Set(smtp.commands.filter((c) => c.line.startsWith('RCPT TO:<q')).map((c) => c.cid));
  const quits = new Set(smtp.commands.filter((c) => c.line === 'QUIT').map((c) => c.cid));
  expect([...cids].every((cid) => quits.has(cid))).toBe(true);
});

/** A gate the test opens or closes by hand (see Mailer.send); `asked` once a connection took its email. */
function manualGate() {
  let decide!: (open: boolean) => void;
  let taken!: () => void;
  let asked = false;
  const answer = new Promise<boolean>((resolve) => (decide = resolve));
  const askedOnce = new Promise<void>((resolve) => (taken = resolve));
  const gate = () => {
    asked = true;
    taken();
    return answer;
  };
  return { gate, decide, asked: () => asked, askedOnce };
}

const openGate = () => Promise.resolve(true);
const closedGate = () => Promise.resolve(false);

test.each(Object.keys(kinds) as (keyof typeof kinds)[])(
  '%s: a gated send is asked when a connection takes it, and delivers only once its gate opens; a closed gate delivers nothing at all',
  async (kind) => {
    const server = await startSmtp();
    const mailer = kinds[kind](server.url);
    const delivered = () => server.messages.map((m) => m.to[0]);
    try {
      const late = manualGate();
      const sending = mailer.send(email('late@p.example'), 'stem', late.gate);
      // Whole sends meanwhile, on the pool's other connection: the held one delivered nothing.
      await Promise.all([mailer.send(email('one@p.example'), 'stem'), mailer.send(email('two@p.example'), 'stem')]);
      expect(late.asked()).toBe(true);
      expect(delivered()).not.toContain('late@p.example');
      late.decide(true);
      await expect(sending).resolves.toMatchObject({ response: expect.stringMatching(/^250 /) as string });
      expect(delivered().sort()).toEqual(['late@p.example', 'one@p.example', 'two@p.example']);

      // Its envelope may have gone; its DATA is never ended: the connection is closed instead.
      const revoked = manualGate();
      const cancelled = mailer.send(email('revoked@p.example'), 'stem', revoked.gate);
      await revoked.askedOnce;
      revoked.decide(false);
      expect(await cancelled.catch((e: unknown) => e)).toBeInstanceOf(SendCancelled);
      await mailer.send(email('after@p.example'), 'stem', openGate);
      expect(delivered()).not.toContain('revoked@p.example');
      expect(delivered().at(-1)).toBe('after@p.example');
    } finally {
      mailer.close();
      await server.close();
    }
  },
);

test('the outbox folder honours the gate too: a closed gate writes no file', async () => {
  const folder = path.join(tempDir(), 'outbox');
  const mailer = new FolderMailer(folder);
  await expect(mailer.send(email('revoked@p.example'), 'revoked', closedGate)).rejects.toBeInstanceOf(SendCancelled);
  await mailer.send(email('ada@p.example'), 'ada', openGate);
  expect(fs.readdirSync(folder)).toEqual(['ada.eml']);
});

describe('threaded: when the thread itself fails', () => {
  test('a thread that cannot start fails every send as a configuration error: nothing was handed over', async () => {
    const mailer = new ThreadedSmtpMailer(parseSmtpUrl(smtp.url), { maxConnections: 2 }, path.join(tempDir(), 'no-such-worker.js'));
    const first = await mailer.send(email('ada@p.example')).catch((e: unknown) => e);
    const second = await mailer.send(email('bo@p.example')).catch((e: unknown) => e);
    mailer.close();
    expect([classifySendError(first), classifySendError(second)]).toEqual(['fatal', 'fatal']);
    expect((first as Error).message).toMatch(/^the SMTP thread could not start: /);
    expect((first as { dataHandedOver?: boolean }).dataHandedOver).toBeUndefined();
  });

  test('a thread that dies during a send leaves that message in doubt, and fails the next ones as a configuration error', async () => {
    // A stand-in thread: it loads, says so, and crashes on the first message it is given.
    const file = path.join(tempDir(), 'crashing-worker.mjs');
    fs.writeFileSync(
      file,
      `import { parentPort } from 'node:worker_threads';
       parentPort.postMessage({ ready: true });
       parentPort.on('message', () => { throw new Error('the thread broke'); });`,
    );
    const mailer = new ThreadedSmtpMailer(parseSmtpUrl(smtp.url), { maxConnections: 1 }, file);
    const inFlight = await mailer.send(email('ada@p.example')).catch((e: unknown) => e);
    const later = await mailer.send(email('bo@p.example')).catch((e: unknown) => e);
    mailer.close();
    expect(classifySendError(inFlight)).toBe('unknown');
    expect((inFlight as Error).message).toMatch(/^the SMTP thread stopped: the thread broke/);
    expect(classifySendError(later)).toBe('fatal');
  });

  test('a thread that dies while an email waits for a connection: that one was not handed over (only the taken one is in doubt)', async () => {
    // A stand-in thread: a connection takes the first email (its gate is asked); the second
    // waits in line; the thread crashes on the first gate answer.
    const file = path.join(tempDir(), 'crashing-pool.mjs');
    fs.writeFileSync(
      file,
      `import { parentPort } from 'node:worker_threads';
       parentPort.postMessage({ ready: true });
       let sends = 0;
       parentPort.on('message', (m) => {
         if (m.type === 'send' && ++sends === 1) parentPort.postMessage({ taken: m.id });
         if (m.type === 'gate') throw new Error('the thread broke');
       });`,
    );
    const mailer = new ThreadedSmtpMailer(parseSmtpUrl(smtp.url), { maxConnections: 1 }, file);
    const first = manualGate();
    const second = manualGate();
    const taken = mailer.send(email('ada@p.example'), 'stem', first.gate).catch((e: unknown) => e);
    const waiting = mailer.send(email('bo@p.example'), 'stem', second.gate).catch((e: unknown) => e);
    await first.askedOnce;
    first.decide(true);
    const [inFlight, notTaken] = await Promise.all([taken, waiting]);
    mailer.close();
    expect(classifySendError(inFlight)).toBe('unknown');
    expect(second.asked()).toBe(false);
    expect(classifySendError(notTaken)).toBe('fatal');
  });
});
