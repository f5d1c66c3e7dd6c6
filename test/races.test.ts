import { spawn } from 'node:child_process';
import { startPg, type PgServer } from './pg-server.js';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { totpCode } from '../src/crypto/totp.js';
import { openStore } from '../src/store/store.js';
import { DAY, startSmtp, tempDir, workspace, type ReceivedMail, type RunResult } from './helpers.js';

/**
 * Two things at once. Each test pauses one command between its slow step (scrypt, an SMTP
 * transaction) and its commit with an injected hook, runs the other command to the end, then
 * lets the first go on: the outcome is decided by the store's compare-and-set, not by luck.
 * The last test races real processes with no hook at all.
 */

const GUEST = 'ada@partner.example';
const PASSWORD = 'correct horse battery staple 42';
const OTHER_PASSWORD = 'a different long passphrase 77';
const fullFlags = (password = PASSWORD) => ['--new-password', password, '--name', 'Ada', '--family-name', 'Lovelace', '--accept-tos'];

function deferred<T = void>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/** A hook that stops the command at `point` until released; `reached` resolves when it is there. */
function pauseAt(point: string) {
  const reached = deferred();
  const release = deferred();
  return {
    reached: reached.promise,
    release: release.resolve,
    hooks: {
      beforeCommit: async (p: string) => {
        if (p !== point) return;
        reached.resolve();
        await release.promise;
      },
    },
  };
}

let pgServer: PgServer | undefined;
beforeAll(async () => {
  pgServer = await startPg({ fsync: false });
}, 120_000);
afterAll(() => pgServer?.stop());

/** What `workspace()` needs for a store of this kind: nothing for a file, a fresh database for PostgreSQL. */
function onStore(store: 'sqlite' | 'postgres') {
  return store === 'postgres' ? { pg: pgServer!.createDatabase(), env: { PGPASSWORD: pgServer!.password } } : {};
}

/** A workspace with one invited guest, on an SQLite file or a PostgreSQL database. */
async function invited(store: 'sqlite' | 'postgres' = 'sqlite') {
  const ws = await workspace(onStore(store));
  const result = await ws.cli(['invite', GUEST]);
  if (result.code !== 0) throw new Error(result.stderr);
  return { ...ws, eml: path.join(ws.outbox, `000001-${GUEST}.eml`) };
}

async function guestJson(cli: (argv: string[]) => Promise<RunResult>, email = GUEST) {
  return JSON.parse((await cli(['show', email, '--json'])).stdout) as { status: string; setup: { step: string; passwordSet: boolean; complete: boolean } };
}

describe.each(['sqlite', 'postgres'] as const)('join against everything else (%s)', (store) => {
  test.each(['join.password', 'join'])('join vs revoke (revoke lands before the %s commit): the join fails, the guest stays revoked', async (point) => {
    const { cli, eml } = await invited(store);
    const pause = pauseAt(point);
    const joining = cli(['join', '--email-file', eml, ...fullFlags()], { hooks: pause.hooks });
    await pause.reached;
    const revoke = await cli(['revoke', GUEST]);
    expect(revoke.code).toBe(0);
    expect(revoke.stderr).toContain('its temporary password no longer works');
    pause.release();
    const join = await joining;
    expect(join.code).toBe(1);
    expect(join.stderr).toContain('the invite was revoked while you were joining');
    const guest = await guestJson(cli);
    expect(guest.status).toBe('revoked');
    // After a revoke during the terms step the password set before it stays set, but never joined.
    expect(guest.setup.step).toBe(point === 'join.password' ? 'temporary_password' : 'own_password');
    // And nothing lets that password in afterwards.
    expect((await cli(['join', '--username', GUEST, '--password', PASSWORD, '--accept-tos'])).code).toBe(1);
  });

  test('join vs join: exactly one wins; the other gets one line and exit 1; the winner\'s password, MFA and device all work', async () => {
    const { cli, eml, clock } = await invited(store);
    const first = pauseAt('join.password');
    const second = pauseAt('join.password');
    const a = cli(['join', '--email-file', eml, ...fullFlags(PASSWORD), '--json'], { hooks: first.hooks });
    const b = cli(['join', '--email-file', eml, ...fullFlags(OTHER_PASSWORD), '--json'], { hooks: second.hooks });
    await Promise.all([first.reached, second.reached]);
    first.release();
    const winner = await a;
    second.release();
    const loser = await b;
    expect(winner.code).toBe(0);
    expect(loser.code).toBe(1);
    expect(loser.stderr.trim().split('\n').at(-1)).toMatch(/^✗ another join for this account got there first/);
    // --json reports the failed call too: nothing done that stayed.
    expect(JSON.parse(loser.stdout)).toMatchObject({ ok: false, error: expect.stringMatching(/^another join/) });
    const secret = JSON.parse(winner.stdout).mfa.secret as string;
    expect((await cli(['join', '--username', GUEST, '--password', OTHER_PASSWORD, '--accept-tos'])).stderr).toMatch(/wrong username or password/);
    const finish = await cli(['join', '--username', GUEST, '--password', PASSWORD, '--totp-code', totpCode(secret, clock.current.getTime()), '--apps', 'mobile', '--device', 'laptop']);
    expect(finish.code).toBe(0);
    expect((await guestJson(cli)).setup).toMatchObject({ step: 'device_trusted', complete: true });
  });

  test('two resumed joins creating the MFA secret: one secret is stored and shown, the other run stores and shows nothing', async () => {
    const { cli, eml, clock } = await invited(store);
    // A first run that stops just before storing its secret (as if killed): terms accepted, no secret yet.
    const crash = await cli(['join', '--email-file', eml, ...fullFlags()], {
      hooks: { beforeCommit: (p) => (p === 'join.mfa-secret' ? Promise.reject(new Error('killed')) : Promise.resolve()) },
    });
    expect(crash.code).toBe(1);
    const first = pauseAt('join.mfa-secret');
    const second = pauseAt('join.mfa-secret');
    const a = cli(['join', '--username', GUEST, '--password', PASSWORD, '--json'], { hooks: first.hooks });
    const b = cli(['join', '--username', GUEST, '--password', PASSWORD, '--json'], { hooks: second.hooks });
    await Promise.all([first.reached, second.reached]);
    first.release();
    const winner = await a;
    second.release();
    const loser = await b;
    expect([winner.code, loser.code]).toEqual([0, 1]);
    expect(loser.stdout).not.toMatch(/secret/);
    const secret = JSON.parse(winner.stdout).mfa.secret as string;
    // The stored secret is the one shown: its code turns MFA on, and later sign-ins work (no "unable to authenticate data").
    const finish = await cli(['join', '--username', GUEST, '--password', PASSWORD, '--totp-code', totpCode(secret, clock.current.getTime()), '--apps', 'none', '--device', 'laptop']);
    expect(finish.code).toBe(0);
    // MFA on: signing in again needs a code, and a new one works.
    const noCode = await cli(['join', '--username', GUEST, '--password', PASSWORD]);
    expect([noCode.code, /MFA is on for this account/.test(noCode.stderr)]).toEqual([2, true]);
    clock.advance(30_000);
    expect((await cli(['join', '--username', GUEST, '--password', PASSWORD, '--totp-code', totpCode(secret, clock.current.getTime())])).code).toBe(0);
  });

  test('join vs resend: the join fails and names the new email; the new email joins', async () => {
    const { cli, eml, outbox } = await invited(store);
    const pause = pauseAt('join.password');
    const joining = cli(['join', '--email-file', eml, ...fullFlags()], { hooks: pause.hooks });
    await pause.reached;
    expect((await cli(['resend', GUEST])).code).toBe(0);
    pause.release();
    const join = await joining;
    expect([join.code, /a new invite was sent while you were joining/.test(join.stderr)]).toEqual([1, true]);
    expect((await guestJson(cli)).status).toBe('pending');
    const fresh = await cli(['join', '--email-file', path.join(outbox, `000002-${GUEST}.eml`), ...fullFlags()]);
    expect(fresh.code).toBe(0);
  });

  test('join vs expiry: the invite runs out during the slow step; the join fails at its commit', async () => {
    const { cli, eml, clock } = await invited(store);
    const pause = pauseAt('join.password');
    const joining = cli(['join', '--email-file', eml, ...fullFlags()], { hooks: pause.hooks });
    await pause.reached;
    clock.advance(8 * DAY);
    pause.release();
    const join = await joining;
    expect([join.code, /the invite expired while you were joining/.test(join.stderr)]).toEqual([1, true]);
    expect((await guestJson(cli)).status).toBe('expired');
  });

  test('revoke works on a joined guest: access ends, devices are dropped, inviting again starts over', async () => {
    const { cli, eml, clock, outbox } = await invited(store);
    const first = JSON.parse((await cli(['join', '--email-file', eml, ...fullFlags(), '--json'])).stdout);
    const code = totpCode(first.mfa.secret, clock.current.getTime());
    expect((await cli(['join', '--username', GUEST, '--password', PASSWORD, '--totp-code', code, '--apps', 'mobile', '--device', 'laptop'])).code).toBe(0);
    const revoke = await cli(['revoke', GUEST]);
    expect(revoke.code).toBe(0);
    expect(revoke.stderr).toContain(`Revoked ${GUEST}: their access ended and their trusted devices were dropped`);
    const shown = JSON.parse((await cli(['show', GUEST, '--json'])).stdout);
    expect(shown).toMatchObject({ status: 'revoked', setup: { trustedDevices: [], complete: false } });
    expect((await cli(['join', '--username', GUEST, '--password', PASSWORD])).stderr).toMatch(/revoked/);
    expect((await cli(['invite', GUEST])).code).toBe(0);
    expect((await guestJson(cli)).setup.step).toBe('temporary_password');
    const again = await cli(['join', '--email-file', path.join(outbox, `000002-${GUEST}.eml`), ...fullFlags(OTHER_PASSWORD)]);
    expect(again.code).toBe(0);
  });
});

describe.each(['sqlite', 'postgres'] as const)('revoke against a bulk run in progress (%s)', (store) => {
  test('after revoke returns no email to that guest is delivered or gets past DATA; one already in DATA is reported by both sides', async () => {
    // Two connections; the 3rd and 4th messages are held in DATA until the test lets them go.
    const held = deferred<ReceivedMail[]>();
    const letGo = deferred();
    const holding: ReceivedMail[] = [];
    const smtp = await startSmtp({
      holdData: async (mail) => {
        const n = smtp.messages.length;
        if (n !== 3 && n !== 4) return;
        holding.push(mail);
        if (holding.length === 2) held.resolve(holding);
        await letGo.promise;
      },
    });
    try {
      const { cli, dir } = await workspace({ smtp: smtp.url, ...onStore(store) });
      const emails = Array.from({ length: 30 }, (_, i) => `row${i + 1}@partner.example`);
      const csv = path.join(dir, 'guests.csv');
      fs.writeFileSync(csv, `email\n${emails.join('\n')}\n`);
      const bulk = cli(['invite', '--csv', csv, '--concurrency', '2', '--json']);
      const [inData] = await held.promise;
      const onTheWay = inData!.to[0]!;
      // Leased ahead by the run (4 per connection) but not started, and one still queued.
      const outbox = JSON.parse((await cli(['outbox', 'list', '--json'])).stdout).messages as { recipient: string; state: string }[];
      const stateOf = (email: string) => outbox.find((m) => m.recipient === email)!.state;
      expect([stateOf('row6@partner.example'), stateOf('row28@partner.example')]).toEqual(['sending', 'queued']);

      const revoke = await cli(['revoke', onTheWay, 'row6@partner.example', 'row28@partner.example']);
      const dataAtReturn = smtp.dataStarted.length;
      expect(revoke.code).toBe(0);
      expect(revoke.stderr).toContain(`1 email was already on its way to ${onTheWay}`);
      letGo.resolve();
      const run = await bulk;

      // A connection may have taken one of their emails and sent its envelope: its hand-over
      // mark then failed, and the connection was closed at DATA, before a byte of the message.
      const revoked = new Set([onTheWay, 'row6@partner.example', 'row28@partner.example']);
      expect(smtp.dataStarted.slice(dataAtReturn).filter((r) => revoked.has(r))).toEqual([]);
      const delivered = smtp.messages.flatMap((m) => m.to);
      expect(delivered).not.toContain('row6@partner.example');
      expect(delivered).not.toContain('row28@partner.example');
      const report = JSON.parse(run.stdout) as { results: { email: string; outcome: string; reason?: string; delivery?: string }[] };
      const row = (email: string) => report.results.find((r) => r.email === email)!;
      expect(row('row6@partner.example')).toMatchObject({ outcome: 'skipped', reason: 'revoked during the run: not sent' });
      expect(row('row28@partner.example')).toMatchObject({ outcome: 'skipped', reason: 'revoked during the run: not sent' });
      // The one in DATA was accepted by the server: the run says so, and its password is dead.
      expect(row(onTheWay)).toMatchObject({ outcome: 'invited', delivery: 'sent' });
      expect(report.results.filter((r) => r.outcome === 'invited')).toHaveLength(28);
      const after = JSON.parse((await cli(['outbox', 'list', '--json'])).stdout).messages as { recipient: string; state: string; lastError: string }[];
      for (const email of ['row6@partner.example', 'row28@partner.example']) {
        expect(after.find((m) => m.recipient === email)).toMatchObject({ state: 'failed', lastError: 'not sent: the invite was revoked' });
      }
    } finally {
      await smtp.close();
    }
  });
});

describe('who may re-invite', () => {
  test('a Guest Admin of P cannot move another partner\'s or the workspace\'s guest into P: exit 4, the store byte-identical', async () => {
    const { cli, db, dir, clock } = await workspace();
    const ok = async (argv: string[]) => {
      const r = await cli(argv);
      if (r.code !== 0) throw new Error(`${argv.join(' ')}: ${r.stderr}`);
    };
    await ok(['partners', 'create', 'P']);
    await ok(['partners', 'create', 'Q']);
    await ok(['invite', 'ga@p.example', '--partner', 'P', '--role', 'guest_admin']);
    const ga = await cli(['join', '--email-file', path.join(dir, 'guests.outbox', '000001-ga@p.example.eml'), ...fullFlags()]);
    expect(ga.code).toBe(0);
    await ok(['invite', 'victim@q.example', '--partner', 'Q']);
    await ok(['invite', 'staff@ws.example']);
    await ok(['invite', 'mine@p.example', '--partner', 'P']);
    await ok(['revoke', 'victim@q.example', 'mine@p.example']);
    clock.advance(8 * DAY); // staff@ws.example has expired
    const files = () => ['', '-wal'].map((s) => (fs.existsSync(db + s) ? fs.readFileSync(db + s) : Buffer.alloc(0)));
    const before = files();
    for (const target of ['victim@q.example', 'staff@ws.example']) {
      const result = await cli(['--as', 'ga@p.example', 'invite', target, '--partner', 'P']);
      expect(result.code).toBe(4);
      expect(result.stderr).toMatch(new RegExp(`not permitted: .*${target.replace('.', '\\.')} is not a Guest User of P`));
      expect(files()).toEqual(before);
    }
    // Through a CSV: those rows are refused, the Guest Admin's own revoked Guest User is invited again.
    const csv = path.join(dir, 'rows.csv');
    fs.writeFileSync(csv, 'email,partner\nvictim@q.example,P\nstaff@ws.example,P\nmine@p.example,P\n');
    const bulk = JSON.parse((await cli(['--as', 'ga@p.example', 'invite', '--csv', csv, '--json'])).stdout);
    expect(bulk.results.map((r: { outcome: string }) => r.outcome)).toEqual(['failed', 'failed', 'invited']);
    const list = JSON.parse((await cli(['list', '--json'])).stdout) as { email: string; partner: string | null; status: string }[];
    expect(list.find((g) => g.email === 'victim@q.example')).toMatchObject({ partner: 'Q', status: 'revoked' });
    expect(list.find((g) => g.email === 'staff@ws.example')).toMatchObject({ partner: null, status: 'expired' });
  });
});

const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'cerby-guests');

/** The real executable; `onStderr` sees its output as it comes. */
function child(args: string[], onStderr?: (text: string) => void): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const proc = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'ignore', 'pipe'], env: { PATH: process.env.PATH ?? '' } });
    let stderr = '';
    proc.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
      onStderr?.(stderr);
    });
    proc.on('exit', (code) => resolve({ code, stderr }));
  });
}

describe('real processes', () => {
  test('join vs revoke, no hooks: whoever wins, a revoke that said "Revoked" leaves the guest revoked', async () => {
    const RUNS = 4;
    const outcomes = { revokedDuringJoin: 0, revokedAfterJoin: 0 };
    for (let i = 0; i < RUNS; i++) {
      const dir = tempDir();
      const db = path.join(dir, 'g.db');
      expect((await child(['--db', db, 'init', '--workspace', 'Acme', '--owner', 'owner@acme.example', '--sign-in-url', 'https://acme.example'])).code).toBe(0);
      expect((await child(['--db', db, 'invite', GUEST])).code).toBe(0);
      const eml = path.join(dir, 'g.outbox', `000001-${GUEST}.eml`);
      // Half the runs revoke as soon as the join shows the password policy (scrypt comes next),
      // the other half once the join has finished.
      let revoking: Promise<{ code: number | null; stderr: string }> | undefined;
      const early = i % 2 === 0;
      const join = await child(['--db', db, 'join', '--email-file', eml, ...fullFlags()], (text) => {
        if (early && !revoking && text.includes('Password policy')) revoking = child(['--db', db, 'revoke', GUEST]);
      });
      revoking ??= child(['--db', db, 'revoke', GUEST]);
      const revoke = await revoking;
      expect(revoke.code).toBe(0);
      const store = openStore(db, { create: false });
      const guest = (await store.guests.find(GUEST))!;
      await store.close();
      expect(guest.status).toBe('revoked');
      if (join.code === 0) outcomes.revokedAfterJoin++;
      else {
        expect(join.stderr).toMatch(/revoked while you were joining|this invite was revoked/);
        outcomes.revokedDuringJoin++;
      }
    }
    expect(outcomes.revokedDuringJoin + outcomes.revokedAfterJoin).toBe(RUNS);
    console.log(`race test: ${RUNS} join-vs-revoke runs: ${outcomes.revokedDuringJoin} revoked during the join (join exit 1), ${outcomes.revokedAfterJoin} after it; 0 joined after a revoke`);
  }, 60_000);
});
