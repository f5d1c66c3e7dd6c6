import { createCipheriv, createDecipheriv, randomBytes, scrypt as scryptCallback, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import fs from 'node:fs';

function scrypt(password: string, salt: Buffer, length: number, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scryptCallback(password.normalize('NFKC'), salt, length, options, (error, key) => (error ? reject(error) : resolve(key))),
  );
}

/** OWASP's scrypt floor: N=2^17, r=8, p=1 (128 MiB, a few hundred ms). */
export const SCRYPT = { N: 2 ** 17, r: 8, p: 1 } as const;
const MAXMEM = 256 * 1024 * 1024;

/** `scrypt$N$r$p$salt$hash` (base64): the parameters are stored with the hash. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const hash = await scrypt(password, salt, 32, { ...SCRYPT, maxmem: MAXMEM });
  return ['scrypt', SCRYPT.N, SCRYPT.r, SCRYPT.p, salt.toString('base64'), hash.toString('base64')].join('$');
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [kind, n, r, p, salt, hash] = stored.split('$');
  if (kind !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64');
  const actual = await scrypt(password, Buffer.from(salt, 'base64'), expected.length, { N: Number(n), r: Number(r), p: Number(p), maxmem: MAXMEM });
  return timingSafeEqual(actual, expected);
}

/** The TOTP secret is kept under a key derived from the guest's own password: the store alone does not reveal it. */
export async function sealWithPassword(password: string, plaintext: string): Promise<string> {
  const salt = randomBytes(16);
  const iv = randomBytes(12);
  const key = await scrypt(password, salt, 32, { N: 2 ** 15, r: 8, p: 1, maxmem: MAXMEM });
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return ['v1', salt, iv, cipher.getAuthTag(), ciphertext].map((x) => (typeof x === 'string' ? x : x.toString('base64'))).join('$');
}

export async function openWithPassword(password: string, sealed: string): Promise<string> {
  const [version, salt, iv, tag, ciphertext] = sealed.split('$');
  if (version !== 'v1') throw new Error('unknown sealed format');
  const key = await scrypt(password, Buffer.from(salt!, 'base64'), 32, { N: 2 ** 15, r: 8, p: 1, maxmem: MAXMEM });
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv!, 'base64'));
  decipher.setAuthTag(Buffer.from(tag!, 'base64'));
  return Buffer.concat([decipher.update(Buffer.from(ciphertext!, 'base64')), decipher.final()]).toString('utf8');
}

let blocklist: Set<string> | undefined;

/**
 * 49,233 common passwords from @zxcvbn-ts/language-common 4.1.3 (MIT; see data/), loaded on
 * first use. Compared case-insensitively.
 */
export function commonPasswords(): Set<string> {
  blocklist ??= new Set(
    fs
      .readFileSync(new URL('../../../data/common-passwords.txt', import.meta.url), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((p) => p.toLowerCase()),
  );
  return blocklist;
}

export interface PasswordPolicy {
  minLength: number;
}

export const MAX_PASSWORD_LENGTH = 256;

export function describePolicy(policy: PasswordPolicy): string {
  return [
    `Password policy (NIST SP 800-63B rev. 4):`,
    `  • at least ${policy.minLength} characters (up to ${MAX_PASSWORD_LENGTH}; spaces and any characters allowed, never truncated)`,
    `  • not a commonly used password`,
    `  • not containing your username`,
    `  • different from your temporary password`,
  ].join('\n');
}

/** Why a new password is refused, or undefined. One reason, the first that applies. */
export function passwordProblem(password: string, policy: PasswordPolicy, username: string, tempPassword?: string): string | undefined {
  const length = [...password].length;
  if (length < policy.minLength) return `it has ${length} characters; the policy needs at least ${policy.minLength}`;
  if (length > MAX_PASSWORD_LENGTH) return `it is longer than ${MAX_PASSWORD_LENGTH} characters`;
  if (tempPassword !== undefined && password === tempPassword) return 'it is the temporary password: choose a new one';
  const lower = password.toLowerCase();
  const user = username.toLowerCase();
  const local = user.slice(0, user.lastIndexOf('@'));
  if (lower.includes(user) || (local.length >= 3 && lower.includes(local))) return 'it contains your username';
  if (commonPasswords().has(lower)) return 'it is on the list of commonly used passwords';
  return undefined;
}
