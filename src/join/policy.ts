import fs from 'node:fs';
import path from 'node:path';
import { packageRoot } from '../package-root.js';
import type { PasswordPolicy } from '../store/workspace.js';

/**
 * The password policy of step 4 (NIST SP 800-63B rev. 4): what a guest's own password must be.
 * The workspace sets the minimum (`workspace policy`); the rest is fixed.
 */

let blocklist: Set<string> | undefined;

/**
 * 49,233 common passwords from @zxcvbn-ts/language-common 4.1.3 (MIT; see data/), loaded on
 * first use. Compared case-insensitively.
 */
export function commonPasswords(): Set<string> {
  blocklist ??= new Set(
    fs
      .readFileSync(path.join(packageRoot(import.meta.url), 'data', 'common-passwords.txt'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((p) => p.toLowerCase()),
  );
  return blocklist;
}

export const MAX_PASSWORD_LENGTH = 256;

export function describePolicy(policy: Pick<PasswordPolicy, 'minLength'>): string {
  return [
    `Password policy (NIST SP 800-63B rev. 4):`,
    `  • at least ${policy.minLength} characters (up to ${MAX_PASSWORD_LENGTH}; spaces and any characters allowed, never truncated)`,
    `  • not a commonly used password`,
    `  • not containing your username`,
    `  • different from your temporary password`,
  ].join('\n');
}

/** Why a new password is refused, or undefined. One reason, the first that applies. */
export function passwordProblem(password: string, policy: Pick<PasswordPolicy, 'minLength'>, username: string, tempPassword?: string): string | undefined {
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
