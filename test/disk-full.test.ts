import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { openStore } from '../src/store/store.js';
import { peek, startSmtp, workspace } from './helpers.js';
import { startPg } from './pg-server.js';

/**
 * Running out of room. SQLite's max_page_count (set through a testing knob) fills the store
 * without filling a disk; a PostgreSQL server's tables sit on a small tmpfs of their own (a
 * tablespace); /dev/full and a closed pipe stand for stdout failing.
 */

const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'cerby-guests');

function pageCount(db: string): number {
  const handle = new Database(db, { readonly: true });
  try {
    return handle.pragma('page_count', { simple: true }) as number;
  } finally {
    handle.close();
  }
}

describe('a store that runs out of room', () => {
  test('mid-bulk: one line, exit 1, nothing half-written, no lease left; a later re-run sends the rest with no duplicate', async () => {
    const smtp = await startSmtp();
    try {
      const { cli, db, dir, clock } = await workspace({ smtp: smtp.url });
      const emails = Array.from({ length: 700 }, (_, i) => `row${i}@partner.example`);
      const csv = path.join(dir, 'guests.csv');
      // The first 50 invited and emailed by an earlier run: the re-run below must not email them again.
      const first = path.join(dir, 'first.csv');
      fs.writeFileSync(first, `email\n${emails.slice(0, 50).join('\n')}\n`);
      expect((await cli(['invite', '--csv', first, '--concurrency', '2'])).code).toBe(0);
      fs.writeFileSync(csv, `email\n${emails.join('\n')}\n`);
      // Room for a few batches of 200, not for all of them.
      const maxPages = pageCount(db) + 120;
      const full = await cli(['invite', '--csv', csv, '--concurrency', '2'], { env: { CERBY_GUESTS_TEST_MAX_PAGES: String(maxPages) } });
      expect(full.code).toBe(1);
      const lines = full.stderr.trim().split('\n');
      expect(lines).toEqual([expect.stringMatching(/^cerby-guests: no room left to write \(SQLITE_FULL\): nothing half-written was kept; free some space and run the same command again$/)]);
      expect(full.stderr).not.toMatch(/\n\s+at /);

      const store = openStore(db, { create: false });
      try {
        expect(store.integrityCheck()).toBe('ok');
        // Whole invites or none: every guest has its password hash and its email.
        const [orphans] = peek<{ n: number }>(
          db,
          `SELECT count(*) AS n FROM guests g
            WHERE NOT EXISTS (SELECT 1 FROM outbox o WHERE o.guest_id = g.id AND o.send_number = g.send_count)
               OR NOT EXISTS (SELECT 1 FROM temp_passwords t WHERE t.guest_id = g.id AND t.send_number = g.send_count)`,
        );
        expect(orphans!.n).toBe(0);
        const stored = (await store.guests.list({ now: clock.current.toISOString() })).length;
        expect(stored).toBeGreaterThan(0);
        expect(stored).toBeLessThan(emails.length);
        expect((await store.outbox.counts()).sending).toBe(0);
      } finally {
        await store.close();
      }
      const sentBefore = smtp.messages.length;
      expect(sentBefore).toBeGreaterThan(0);

      const rerun = await cli(['invite', '--csv', csv, '--concurrency', '2'], { asAnotherProcess: true });
      expect(rerun.code).toBe(0);
      const received = smtp.messages.flatMap((m) => m.to);
      expect(new Set(received).size).toBe(received.length);
      expect(received.sort()).toEqual([...emails].sort());
    } finally {
      await smtp.close();
    }
  }, 60_000);

  test('one invite command on a full store: one line, exit 1, nothing stored, nothing sent', async () => {
    const smtp = await startSmtp();
    try {
      const { cli, db } = await workspace({ smtp: smtp.url });
      // One command, one transaction: 40 invites with a long message do not fit in the pages there are.
      const emails = Array.from({ length: 40 }, (_, i) => `g${i}@partner.example`);
      const result = await cli(['invite', ...emails, '--message', 'x'.repeat(1900)], { env: { CERBY_GUESTS_TEST_MAX_PAGES: String(pageCount(db)) } });
      expect(result.code).toBe(1);
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
      expect(result.stderr).toMatch(/no room left to write \(SQLITE_FULL\)/);
      expect(smtp.messages).toHaveLength(0);
      expect(JSON.parse((await cli(['list', '--json'])).stdout)).toEqual([]);
    } finally {
      await smtp.close();
    }
  });
});

function child(args: string[], stdout: 'pipe' | number): { done: Promise<{ code: number | null; stderr: string }>; stdout: Readable | null } {
  const proc = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', stdout, 'pipe'], env: { PATH: process.env.PATH ?? '' } });
  let stderr = '';
  proc.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  return { stdout: proc.stdout, done: new Promise((resolve) => proc.on('exit', (code) => resolve({ code, stderr }))) };
}

describe('standard output that fails', () => {
  async function listedStore(): Promise<string> {
    const { db, cli } = await workspace();
    const emails = Array.from({ length: 40 }, (_, i) => `g${i}@partner.example`);
    expect((await cli(['invite', ...emails])).code).toBe(0);
    return db;
  }

  test('list --json > /dev/full: one line naming ENOSPC, exit 1, no stack trace', async () => {
    const db = await listedStore();
    const devFull = fs.openSync('/dev/full', 'w');
    try {
      const { code, stderr } = await child(['--db', db, 'list', '--json'], devFull).done;
      expect(code).toBe(1);
      expect(stderr.trim().split('\n')).toEqual([expect.stringMatching(/^cerby-guests: cannot write the output: no space left on the device \(ENOSPC\); the command's own work is done$/)]);
    } finally {
      fs.closeSync(devFull);
    }
  });

  test('list | (a reader that went away): one line naming EPIPE, exit 1, no stack trace', async () => {
    const db = await listedStore();
    const proc = child(['--db', db, 'list'], 'pipe');
    proc.stdout!.destroy(); // the reader is gone before the first row
    const { code, stderr } = await proc.done;
    expect(code).toBe(1);
    expect(stderr.trim().split('\n')).toEqual([expect.stringMatching(/^cerby-guests: cannot write the output: the reading end was closed \(EPIPE\)/)]);
  });

  test('the disk-full knob is only a limit: an unset or invalid value changes nothing', async () => {
    const { cli } = await workspace();
    expect((await cli(['invite', 'a@partner.example'], { env: { CERBY_GUESTS_TEST_MAX_PAGES: 'lots' } })).code).toBe(0);
    expect((await cli(['invite', 'b@partner.example'], { env: { CERBY_GUESTS_TEST_MAX_PAGES: '0' } })).code).toBe(0);
  });
});

describe('a PostgreSQL server that runs out of room', () => {
  test('mid-bulk: one line, exit 1, whole invites or none; with room again, a re-run sends the rest, each guest once', async () => {
    const server = await startPg({ fsync: false });
    const smtp = await startSmtp();
    // A 512 KB file system for the tables a bulk run fills (the server itself has room: its
    // log and catalogs stay where they are). The server runs as the postgres user when we are root.
    const small = fs.mkdtempSync(path.join(os.tmpdir(), 'cerby-small-'));
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=512k,mode=0700', 'tmpfs', small]);
    try {
      if (process.getuid?.() === 0) execFileSync('chown', ['postgres:postgres', small]);
      server.psql(`CREATE TABLESPACE small LOCATION '${small}'`);
      const url = server.createDatabase();
      const name = url.split('/').pop();
      const { cli, dir } = await workspace({ smtp: smtp.url, pg: url, env: { PGPASSWORD: server.password } });
      for (const table of ['guests', 'outbox', 'outbox_events', 'temp_passwords', 'audit']) server.psql(`ALTER TABLE ${table} SET TABLESPACE small`, name);
      const emails = Array.from({ length: 700 }, (_, i) => `row${i}@partner.example`);
      const csv = path.join(dir, 'guests.csv');
      // The first 50 invited and emailed by an earlier run: the re-run below must not email them again.
      const first = path.join(dir, 'first.csv');
      fs.writeFileSync(first, `email\n${emails.slice(0, 50).join('\n')}\n`);
      expect((await cli(['invite', '--csv', first, '--concurrency', '2'])).code).toBe(0);
      fs.writeFileSync(csv, `email\n${emails.join('\n')}\n`);

      const full = await cli(['invite', '--csv', csv, '--concurrency', '2']);
      expect(full.code).toBe(1);
      expect(full.stderr.trim().split('\n')).toEqual([
        expect.stringMatching(/^cerby-guests: no room left to write on the PostgreSQL server \(53100 disk_full\): nothing half-written was kept; free some space and run the same command again$/),
      ]);
      // Whole invites or none: every guest has its password hash and its email.
      const orphans = server.psql(
        `SELECT count(*) FROM guests g
          WHERE NOT EXISTS (SELECT 1 FROM outbox o WHERE o.guest_id = g.id AND o.send_number = g.send_count)
             OR NOT EXISTS (SELECT 1 FROM temp_passwords t WHERE t.guest_id = g.id AND t.send_number = g.send_count)`,
        name,
      );
      expect(orphans).toBe('0');
      const stored = Number(server.psql('SELECT count(*) FROM guests', name));
      expect(stored).toBeGreaterThan(0);
      expect(stored).toBeLessThan(emails.length);

      // Room again: the re-run takes back the failed run's leases at once (its process is gone)
      // and sends every guest not yet emailed, none twice.
      execFileSync('mount', ['-o', 'remount,size=64m', small]);
      const rerun = await cli(['invite', '--csv', csv, '--concurrency', '2'], { asAnotherProcess: true });
      expect([rerun.code, rerun.stderr]).toEqual([0, expect.any(String) as string]);
      const received = smtp.messages.flatMap((m) => m.to);
      expect(new Set(received).size).toBe(received.length);
      expect(received.sort()).toEqual([...emails].sort());
    } finally {
      await smtp.close();
      server.stop();
      execFileSync('umount', [small]);
      fs.rmSync(small, { recursive: true, force: true });
    }
  }, 60_000);
});
