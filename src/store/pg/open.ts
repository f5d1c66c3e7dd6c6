import { PgDb } from '../db.js';
import { Store } from '../store.js';
import { openPg, siblingPool, type PgOpenOptions } from './connect.js';
import { migratePg } from './migrations.js';
import type { PgTarget } from './target.js';

/**
 * A store on PostgreSQL: the pool, with the schema brought to this version first (under the
 * migration lock, so many machines starting at once is safe; a newer schema is refused).
 */
export async function openPgStore(target: PgTarget, options: PgOpenOptions): Promise<Store> {
  const { pool, client } = await openPg(target, { max: 4, ...options });
  try {
    await migratePg(client, target.description);
  } catch (error) {
    client.release();
    await pool.end().catch(() => undefined);
    throw error;
  }
  client.release();
  // Delivery marks (leases, hand-overs, outcomes) commit without waiting for the disk, as on
  // SQLite: a crash of the server may lose the last of them, which then read as in doubt.
  return new Store(new PgDb(pool, siblingPool(pool, '-c synchronous_commit=off', 4)), target.description);
}
