import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openStore } from '../src/store/store.js';
import { Clock, run, startSmtp, tempDir, type TestSmtp } from './helpers.js';

const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'cerby-guests');
const ROWS = 240;

/**
 * The real executable in a child process, with real time. With `killWhen`, it is SIGKILLed as
 * soon as that says so (checked every 5 ms): e.g. once the server has some of its messages.
 */
function child(args: string[], killWhen?: () => boolean): Promise<{ code: number | null; signal: string | null; stderr: string }> {
  return new Promise((resolve) => {
    const proc = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'ignore', 'pipe'], env: { PATH: process.env.PATH ?? '' } });
    let stderr = '';
    proc.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = killWhen === undefined ? undefined : setInterval(() => killWhen() && proc.kill('SIGKILL'), 5);
    proc.on('exit', (code, signal) => {
      clearInterval(timer);
      resolve({ code, signal, stderr });
    });
  });
}

function csvOf(dir: string, prefix: string): { file: string; emails: string[] } {
  const emails = Array.from({ length: ROWS }, (_, i) => `${prefix}${i}@partner.example`);
  const file = path.join(dir, `${prefix}.csv`);
  fs.writeFileSync(file, `email\n${emails.join('\n')}\n`);
  return { file, emails };
}

function counts(list: string[]): Map<string, number> {
  const map = new Map<string, number>();
  for (const e of list) map.set(e.toLowerCase(), (map.get(e.toLowerCase()) ?? 0) + 1);
  return map;
}

let smtp: TestSmtp;
beforeEach(async () => {
  // A slow server (15 ms per message) so that a run is still sending when it is killed.
  smtp = await startSmtp({ onDataDelayMs: 15 });
});
afterEach(async () => {
  await smtp.close();
});

describe('crashes', () => {
  test('SIGKILL during bulk invites at several points loses nothing; duplicates only for unknown rows', async () => {
    const dir = tempDir();
    const db = path.join(dir, 'g.db');
    expect((await child(['--db', db, 'init', '--workspace', 'Acme', '--owner', 'owner@acme.example'])).code).toBe(0);
    const { file, emails } = csvOf(dir, 'crash');
    const args = ['--db', db, '--smtp', smtp.url, 'invite', '--csv', file, '--concurrency', '1'];
    // Killed mid-send: after 20, 35 and 25 more messages reached the server.
    const kills = [20, 35, 25];
    for (const more of kills) {
      const before = smtp.messages.length;
      const result = await child(args, () => smtp.messages.length >= before + more);
      expect(result.signal).toBe('SIGKILL');
    }
    const sentBeforeRecovery = smtp.messages.length;
    expect(sentBeforeRecovery).toBeGreaterThan(0);
    expect(sentBeforeRecovery).toBeLessThan(ROWS);

    // Recovery: a re-run sends what earlier runs recorded but never sent; a flush after the
    // lease time turns messages left mid-send into `unknown`.
    const rerun = await child(args);
    expect(rerun.code === 0 || rerun.code === 3).toBe(true);
    const later = new Clock(new Date(Date.now() + 10 * 60_000));
    const flush = await run(['--db', db, '--smtp', smtp.url, 'outbox', 'flush'], { clock: later });
    expect([0, 1]).toContain(flush.code);

    const store = openStore(db, { create: false });
    const rows = store.outbox.list();
    expect(store.integrityCheck()).toBe('ok');
    const guests = store.guests.list({ now: later.current.toISOString() });
    store.close();

    // 0 lost invites: every row of the file has its guest and exactly one email, sent or unknown.
    expect(guests.map((g) => g.email).sort()).toEqual([...emails].sort());
    expect(rows).toHaveLength(ROWS);
    const states = counts(rows.map((r) => r.state));
    expect((states.get('sent') ?? 0) + (states.get('unknown') ?? 0)).toBe(ROWS);
    const unknown = rows.filter((r) => r.state === 'unknown').map((r) => r.recipient);
    expect(unknown.length).toBeLessThanOrEqual(kills.length * 4);

    // Every guest got at least one email unless it is unknown; nobody got two without an unknown row.
    const received = counts(smtp.messages.map((m) => m.to[0]!));
    for (const email of emails) {
      if (!unknown.includes(email)) expect([email, received.get(email)]).toEqual([email, 1]);
      else expect(received.get(email) ?? 0).toBeLessThanOrEqual(1);
    }

    // The admin resends the unknown ones on purpose: duplicates ≤ kills, each one an unknown row.
    const retry = await run(['--db', db, '--smtp', smtp.url, 'outbox', 'flush', '--retry-unknown'], { clock: later });
    expect(retry.code).toBe(0);
    const after = counts(smtp.messages.map((m) => m.to[0]!));
    const duplicates = [...after.entries()].filter(([, n]) => n > 1).map(([e]) => e);
    expect(duplicates.length).toBeLessThanOrEqual(kills.length);
    for (const e of duplicates) expect(unknown).toContain(e);
    for (const email of emails) expect(after.get(email) ?? 0).toBeGreaterThanOrEqual(1);
    // Figures for the closing note.
    process.stderr.write(
      `crash test: ${kills.length} kills, ${sentBeforeRecovery} sent before recovery, ${unknown.length} unknown, ${duplicates.length} duplicates after --retry-unknown\n`,
    );
  }, 60_000);
});

describe('concurrency', () => {
  test('three processes on one store with one CSV: each guest emailed exactly once, no crash', async () => {
    const dir = tempDir();
    const db = path.join(dir, 'g.db');
    expect((await child(['--db', db, 'init', '--workspace', 'Acme', '--owner', 'owner@acme.example'])).code).toBe(0);
    const { file, emails } = csvOf(dir, 'race');
    const args = ['--db', db, '--smtp', smtp.url, 'invite', '--csv', file, '--concurrency', '2'];
    const results = await Promise.all([child(args), child(args), child([...args.slice(0, 4), 'outbox', 'flush'])]);
    for (const r of results) {
      expect([0, 3]).toContain(r.code);
      expect(r.stderr).not.toMatch(/SQLITE_BUSY|database is locked|unexpected error/);
    }
    // Whatever one process left queued (another had it leased), a last flush sends.
    await child([...args.slice(0, 4), 'outbox', 'flush']);
    const received = counts(smtp.messages.map((m) => m.to[0]!));
    expect([...received.keys()].sort()).toEqual([...emails].sort());
    expect([...received.values()].every((n) => n === 1)).toBe(true);
    const store = openStore(db, { create: false });
    expect(store.integrityCheck()).toBe('ok');
    expect(store.outbox.counts()).toMatchObject({ sent: ROWS, queued: 0, sending: 0, unknown: 0 });
    store.close();
  }, 60_000);
});
