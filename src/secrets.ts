import { createHmac, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';

// No look-alikes (0/O, 1/l/I): the guest may have to type it from the email.
const ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789';
export const TEMP_PASSWORD_LENGTH = 24;
/** log2(57) × 24 ≈ 140 bits, above SPEC §3's 112. */
export const TEMP_PASSWORD_BITS = Math.floor(Math.log2(ALPHABET.length) * TEMP_PASSWORD_LENGTH);

/** A temporary password from the CSPRNG, uniform over the alphabet (randomInt rejects biased draws). */
export function generateTempPassword(): string {
  let out = '';
  for (let i = 0; i < TEMP_PASSWORD_LENGTH; i++) out += ALPHABET[randomInt(ALPHABET.length)];
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
