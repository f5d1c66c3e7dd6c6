import { PgDb } from '../db.js';
import { Store } from '../store.js';
import { openPg, type PgOpenOptions } from './connect.js';
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
  return new Store(new PgDb(pool), target.description);
}
