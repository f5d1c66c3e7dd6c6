import { booleans, positional, type Db } from '../src/store/db.js';
import { bothStores } from './stores.js';

/**
 * The one async SQL interface (src/store/db.ts) on both stores: the same statements, written
 * once with @name parameters, behave the same on SQLite and on a real PostgreSQL server, each
 * on the store's own schema. This is the contract the repositories are being moved onto.
 */

const STORES = bothStores({ pgConnections: 6 });

const AT = '2026-11-24T06:00:00.123Z';
const insertSetting = `INSERT INTO settings (key, value, updated_by, updated_at) VALUES (@key, @value, @by, @at) ON CONFLICT (key) DO NOTHING RETURNING key`;

test('@name parameters become $n for PostgreSQL, a name used twice being one parameter', () => {
  expect(positional('UPDATE t SET a = @a, b = @b WHERE a <> @a AND c::text = @c')).toEqual({
    text: 'UPDATE t SET a = $1, b = $2 WHERE a <> $1 AND c::text = $3',
    names: ['a', 'b', 'c'],
  });
  // Not inside quoted literals or identifiers.
  expect(positional(`SELECT 'o@acme.example', 'it''s @x', "@y" FROM t WHERE k = @k`)).toEqual({
    text: `SELECT 'o@acme.example', 'it''s @x', "@y" FROM t WHERE k = $1`,
    names: ['k'],
  });
});

describe.each(STORES)('%s', (_name, open) => {
  let db: Db;
  beforeEach(async () => {
    db = await open();
  });
  afterEach(() => db.close());

  test('INSERT … ON CONFLICT … RETURNING, and the count of rows a statement changed', async () => {
    await expect(db.get(insertSetting, { key: 'smtp', value: 'smtp://a', by: 'o', at: AT })).resolves.toEqual({ key: 'smtp' });
    await expect(db.get(insertSetting, { key: 'smtp', value: 'smtp://b', by: 'o', at: AT })).resolves.toBeUndefined();
    await expect(db.run(`UPDATE settings SET value = @value WHERE key = @key`, { key: 'smtp', value: 'smtp://c' })).resolves.toBe(1);
    await expect(db.run(`UPDATE settings SET value = @value WHERE key = @key`, { key: 'none', value: 'x' })).resolves.toBe(0);
    await expect(db.all(`SELECT key, value FROM settings ORDER BY key`)).resolves.toEqual([{ key: 'smtp', value: 'smtp://c' }]);
  });

  test('timestamps come back as the ISO-8601 text that went in; booleans as booleans', async () => {
    await db.run(insertSetting, { key: 'k', value: 'v', by: 'o', at: AT });
    await expect(db.get(`SELECT updated_at AS at FROM settings WHERE key = @key`, { key: 'k' })).resolves.toEqual({ at: AT });
    // Comparisons on timestamps work with ISO text on both sides.
    await expect(db.all(`SELECT key FROM settings WHERE updated_at <= @now`, { now: '2026-11-24T06:00:01.000Z' })).resolves.toHaveLength(1);
    const row = await db.get<{ yes: boolean; no: boolean; asked: boolean }>(`SELECT TRUE AS yes, FALSE AS no, (@flag OR FALSE) AS asked`, { flag: true });
    expect(booleans(row!, ['yes', 'no', 'asked'])).toEqual({ yes: true, no: false, asked: true });
  });

  test('a write transaction commits what it did, or nothing when it throws', async () => {
    await db.write(async (tx) => {
      await tx.run(insertSetting, { key: 'a', value: '1', by: 'o', at: AT });
      await tx.run(insertSetting, { key: 'b', value: '2', by: 'o', at: AT });
    });
    await expect(
      db.write(async (tx) => {
        await tx.run(insertSetting, { key: 'c', value: '3', by: 'o', at: AT });
        throw new Error('changed my mind');
      }),
    ).rejects.toThrow('changed my mind');
    await expect(db.all(`SELECT key FROM settings ORDER BY key`)).resolves.toEqual([{ key: 'a' }, { key: 'b' }]);
  });

  test('a compare-and-set: of two writers expecting the same value, exactly one wins', async () => {
    await db.run(insertSetting, { key: 'state', value: 'queued', by: 'o', at: AT });
    const cas = `UPDATE settings SET value = @to WHERE key = 'state' AND value = @from`;
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    // The first writer takes the row and holds its transaction open; the second tries meanwhile.
    const first = db.write(async (tx) => {
      const changed = await tx.run(cas, { from: 'queued', to: 'sending-by-1' });
      await held;
      return changed;
    });
    const second = db.write((tx) => tx.run(cas, { from: 'queued', to: 'sending-by-2' }));
    await new Promise((resolve) => setTimeout(resolve, 50));
    release();
    await expect(Promise.all([first, second])).resolves.toEqual([1, 0]);
    await expect(db.get(`SELECT value FROM settings WHERE key = 'state'`)).resolves.toEqual({ value: 'sending-by-1' });
  });

  test('a read transaction sees one snapshot, whatever commits meanwhile', async () => {
    await db.run(insertSetting, { key: 'x', value: '1', by: 'o', at: AT });
    let writing: Promise<number> | undefined;
    const seen = await db.read(async (tx) => {
      const before = await tx.all(`SELECT key FROM settings`);
      // Another writer (PostgreSQL: another connection commits now; SQLite in one process: it waits its turn).
      writing = db.run(insertSetting, { key: 'y', value: '2', by: 'o', at: AT });
      await Promise.race([writing, new Promise((resolve) => setTimeout(resolve, 100))]);
      const after = await tx.all(`SELECT key FROM settings`);
      return [before.length, after.length];
    });
    expect(seen).toEqual([1, 1]);
    await writing;
    await expect(db.all(`SELECT key FROM settings`)).resolves.toHaveLength(2);
  });
});
