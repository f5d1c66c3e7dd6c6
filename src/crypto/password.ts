import { createCipheriv, createDecipheriv, randomBytes, scrypt as scryptCallback, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import type { ScryptCost } from './costs.js';

/**
 * The guest's own password and what is kept under it. Each function that derives a key takes
 * its scrypt cost (REAL_COSTS in src/crypto/costs.ts, or a test's cheaper one); what it writes
 * carries the parameters it used, so verifying and opening never need to be told them.
 */

const MAXMEM = 256 * 1024 * 1024;

function scrypt(password: string, salt: Buffer, length: number, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scryptCallback(password.normalize('NFKC'), salt, length, options, (error, key) => (error ? reject(error) : resolve(key))),
  );
}

const derive = (password: string, salt: Buffer, cost: ScryptCost) => scrypt(password, salt, 32, { N: cost.N, r: cost.r, p: cost.p, maxmem: MAXMEM });

/** `scrypt$N$r$p$salt$hash` (base64): the parameters are stored with the hash. */
export async function hashPassword(password: string, cost: ScryptCost): Promise<string> {
  const salt = randomBytes(16);
  const hash = await derive(password, salt, cost);
  return ['scrypt', cost.N, cost.r, cost.p, salt.toString('base64'), hash.toString('base64')].join('$');
}

/** Checks a password against a stored hash, at the cost written in the hash. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [kind, n, r, p, salt, hash] = stored.split('$');
  if (kind !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64');
  const actual = await scrypt(password, Buffer.from(salt, 'base64'), expected.length, { N: Number(n), r: Number(r), p: Number(p), maxmem: MAXMEM });
  return timingSafeEqual(actual, expected);
}

/** What `v1` sealed values (written before the cost was recorded) were sealed with. */
const V1_SEAL_COST: ScryptCost = { N: 2 ** 15, r: 8, p: 1 };

/**
 * The TOTP secret is kept under a key derived from the guest's own password: the store alone
 * does not reveal it. AES-256-GCM; `v2$N$r$p$salt$iv$tag$ciphertext` (base64), the key's scrypt
 * parameters recorded with it.
 */
export async function sealWithPassword(password: string, plaintext: string, cost: ScryptCost): Promise<string> {
  const salt = randomBytes(16);
  const iv = randomBytes(12);
  const key = await derive(password, salt, cost);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return ['v2', cost.N, cost.r, cost.p, ...[salt, iv, cipher.getAuthTag(), ciphertext].map((b) => b.toString('base64'))].join('$');
}

/** Opens a sealed value: `v2` at the cost it records, `v1` at the cost it was always sealed with. Throws if the password is not the one. */
export async function openWithPassword(password: string, sealed: string): Promise<string> {
  const parts = sealed.split('$');
  let cost: ScryptCost;
  let rest: string[];
  if (parts[0] === 'v1' && parts.length === 5) {
    cost = V1_SEAL_COST;
    rest = parts.slice(1);
  } else if (parts[0] === 'v2' && parts.length === 8) {
    cost = { N: Number(parts[1]), r: Number(parts[2]), p: Number(parts[3]) };
    rest = parts.slice(4);
  } else {
    throw new Error('unknown sealed format');
  }
  const [salt, iv, tag, ciphertext] = rest.map((x) => Buffer.from(x, 'base64')) as [Buffer, Buffer, Buffer, Buffer];
  const key = await derive(password, salt, cost);
  const decipher = createDecipheriv('aes-256-gcm', key, iv);
  decipher.setAuthTag(tag);
  return Buffer.concat([decipher.update(ciphertext), decipher.final()]).toString('utf8');
}
