import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { randomBytesPooled } from './random.js';

// No look-alikes (0/O, 1/l/I): the guest may have to type it from the email.
const ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789';
export const TEMP_PASSWORD_LENGTH = 24;
/** log2(57) × 24 ≈ 140 bits, above SPEC §3's 112. */
export const TEMP_PASSWORD_BITS = Math.floor(Math.log2(ALPHABET.length) * TEMP_PASSWORD_LENGTH);

/** Bytes below this map evenly onto the alphabet (4 × 57 = 228); the rest are drawn again. */
const UNBIASED_LIMIT = Math.floor(256 / ALPHABET.length) * ALPHABET.length;

/**
 * A temporary password from the CSPRNG, uniform over the alphabet: rejection sampling over
 * random bytes from the pool (`random.ts`: a bulk run makes tens of thousands).
 */
export function generateTempPassword(): string {
  let out = '';
  while (out.length < TEMP_PASSWORD_LENGTH) {
    for (const byte of randomBytesPooled(TEMP_PASSWORD_LENGTH * 2)) {
      if (byte < UNBIASED_LIMIT) out += ALPHABET[byte % ALPHABET.length];
      if (out.length === TEMP_PASSWORD_LENGTH) break;
    }
  }
  return out;
}

/**
 * HMAC-SHA-256 keyed with the workspace's secret. A fast hash is enough because the
 * password has ≥ 112 bits of entropy: there is nothing to brute-force.
 */
export function hashTempPassword(key: Buffer, password: string): string {
  return `hmac-sha256:${createHmac('sha256', key).update(password, 'utf8').digest('hex')}`;
}

export function tempPasswordMatches(key: Buffer, password: string, stored: string): boolean {
  const candidate = Buffer.from(hashTempPassword(key, password));
  const expected = Buffer.from(stored);
  return candidate.length === expected.length && timingSafeEqual(candidate, expected);
}

export function newHmacKey(): Buffer {
  return randomBytes(32);
}

export function newInstanceId(): string {
  return randomBytes(8).toString('hex');
}
