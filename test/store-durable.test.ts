import { jest } from '@jest/globals';
import fs from 'node:fs';
import path from 'node:path';
import { IN_MEMORY, openStore, type Store } from '../src/store/store.js';
import { tempDir } from './helpers.js';

/**
 * `Store.writeDurable`: a bulk run's batch is on disk before any of its emails goes out, yet
 * the disk's sync runs on libuv's pool, not on the thread that serves the run's connections.
 */

const AT = '2026-12-06T10:00:00.000Z';

/** Node's FileHandle class, whose `sync` the store calls on its log. */
async function fileHandlePrototype(file: string): Promise<{ sync(): Promise<void> }> {
  const probe = await fs.promises.open(file, 'r');
  await probe.close();
  return Object.getPrototypeOf(probe) as { sync(): Promise<void> };
}

function setting(store: Store, n: number): Promise<void> {
  return store.writeDurable((tx) => tx.settings.set(`key${n}`, 'value', 'owner@acme.example', AT));
}

test('SQLite: each write resolves after a sync of the log begun once its commit was in; writes asked for during a sync share the next one', async () => {
  const file = path.join(tempDir(), 'guests.db');
  const store = openStore(file, { create: true });
  const FileHandle = await fileHandlePrototype(file);
  const realSync = Object.getOwnPropertyDescriptor(FileHandle, 'sync')!.value as (this: fs.promises.FileHandle) => Promise<void>;
  /** For each sync the store began: its file, and how many of the three writes had committed. */
  const syncs: { file: string; committed: number }[] = [];
  const spy = jest.spyOn(FileHandle, 'sync').mockImplementation(async function (this: fs.promises.FileHandle) {
    const committed = (await store.read((tx) => tx.settings.all())).filter((s) => s.key.startsWith('key')).length;
    syncs.push({ file: fs.readlinkSync(`/proc/self/fd/${this.fd}`), committed });
    return realSync.call(this);
  });
  try {
    /** How many syncs had begun when each write resolved. */
    const log = `${fs.realpathSync(file)}-wal`;
    const logSyncs = () => syncs.filter((s) => s.file === log);
    const syncsBefore = new Map<number, number>();
    await Promise.all([1, 2, 3].map((n) => setting(store, n).then(() => syncsBefore.set(n, logSyncs().length))));
    // The first write's sync; the two that came while it ran share one more, begun after both committed.
    expect(logSyncs()).toEqual([
      { file: log, committed: expect.any(Number) as number },
      { file: log, committed: 3 },
    ]);
    expect(logSyncs()[0]!.committed).toBeGreaterThanOrEqual(1);
    expect(syncsBefore).toEqual(new Map([[1, 1], [2, 2], [3, 2]]));
    // The log's folder once, before its first sync (its name on disk too, as SQLite does for a new log).
    expect(syncs.map((s) => s.file)).toEqual([fs.realpathSync(path.dirname(file)), log, log]);
    // A later write gets a sync of its own.
    await setting(store, 4);
    expect(logSyncs()).toHaveLength(3);
  } finally {
    spy.mockRestore();
    await store.close();
  }
  // Committed for good: another connection reads them.
  const again = openStore(file, { create: false });
  expect((await again.settings.all()).map((s) => s.key).sort()).toEqual(['key1', 'key2', 'key3', 'key4']);
  await again.close();
});

test('SQLite: the log is never opened through a symbolic link', async () => {
  const folder = tempDir();
  const file = path.join(folder, 'guests.db');
  const store = openStore(file, { create: true });
  // The log SQLite made is swapped for a link elsewhere (SQLite keeps its own descriptor).
  const elsewhere = path.join(folder, 'elsewhere');
  fs.writeFileSync(elsewhere, '');
  await store.write((tx) => tx.settings.set('first', 'value', 'owner@acme.example', AT));
  fs.renameSync(`${file}-wal`, path.join(folder, 'moved-wal'));
  fs.symlinkSync(elsewhere, `${file}-wal`);
  await expect(setting(store, 1)).rejects.toMatchObject({ code: 'ELOOP' });
  fs.unlinkSync(`${file}-wal`);
  fs.renameSync(path.join(folder, 'moved-wal'), `${file}-wal`);
  await store.close();
});

test('an in-memory store has no file to sync: the write is simply committed', async () => {
  const store = openStore(IN_MEMORY, { create: true });
  await setting(store, 1);
  expect((await store.settings.all()).map((s) => s.key)).toEqual(['key1']);
  await store.close();
});

test('SQLite: a sync that fails fails the writes waiting on it, and the writes asked for meanwhile get a sync of their own', async () => {
  const file = path.join(tempDir(), 'guests.db');
  const store = openStore(file, { create: true });
  const FileHandle = await fileHandlePrototype(file);
  const realSync = Object.getOwnPropertyDescriptor(FileHandle, 'sync')!.value as (this: fs.promises.FileHandle) => Promise<void>;
  let logSyncs = 0;
  const spy = jest.spyOn(FileHandle, 'sync').mockImplementation(async function (this: fs.promises.FileHandle) {
    if (!fs.readlinkSync(`/proc/self/fd/${this.fd}`).endsWith('-wal')) return realSync.call(this);
    // The first sync of the log fails, as a disk's I/O error would.
    if (++logSyncs === 1) throw Object.assign(new Error('EIO: i/o error, fsync'), { code: 'EIO' });
    return realSync.call(this);
  });
  try {
    const outcomes = await Promise.allSettled([setting(store, 1), setting(store, 2)]);
    expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'fulfilled']);
    expect((outcomes[0] as PromiseRejectedResult).reason).toMatchObject({ code: 'EIO' });
    expect(logSyncs).toBe(2);
  } finally {
    spy.mockRestore();
    await store.close();
  }
});
