import isEmail from 'validator/lib/isEmail.js';
import { address, addressKey, identityProblem } from './address.js';
import { UsageError } from './errors.js';

/** RFC 5321: 254 octets for a whole forward path, 64 for the local part. */
export const MAX_EMAIL_LENGTH = 254;
const MAX_NAME_LENGTH = 200;
const MAX_MESSAGE_LENGTH = 2000;

// C0 controls, DEL and C1 controls; also the Unicode line/paragraph separators and
// bidi overrides, which can disguise text in a terminal or a mail client. (Finding control
// characters is the point of these patterns.)
/* eslint-disable no-control-regex */
const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/u;
const FORMAT_CHAR = /\p{Cf}/u;
const CONTROL_CHARS_EXCEPT_NEWLINE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/u;
/* eslint-enable no-control-regex */

/**
 * The canonical identity used to store and compare addresses (see address.ts): NFC,
 * lower-case (every major invite system treats addresses case-insensitively), IDNA domain.
 */
export function emailKey(email: string): string {
  return addressKey(email);
}

/**
 * The common shape of an address (dot-atoms of letters, digits and _%+- before @, hostname labels
 * and a letter TLD after): anything it matches, validator accepts too, at a tenth of the cost.
 * Everything else is decided by validator. A bulk run checks 100,000 of these.
 */
export const PLAIN_ADDRESS =
  /^[A-Za-z0-9_%+-]+(?:\.[A-Za-z0-9_%+-]+)*@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$/;

/** Returns a reason when `email` is not an address we can invite, else undefined. */
export function emailProblem(email: string): string | undefined {
  if (email.length === 0) return 'the email address is empty';
  if (CONTROL_CHARS.test(email)) {
    // Bidi controls are control and format (Cf) characters: named, like every invisible one.
    return FORMAT_CHAR.test(email) ? identityProblem(email) : 'the email address contains control characters';
  }
  if (PLAIN_ADDRESS.test(email) && email.length <= MAX_EMAIL_LENGTH && email.lastIndexOf('@') <= 64) return undefined;
  const identity = identityProblem(email);
  if (identity) return identity;
  // Lengths and shape are those of what goes on the wire: the domain in its ASCII form.
  const wire = address(email).ascii;
  if (Buffer.byteLength(wire) > MAX_EMAIL_LENGTH) return `the email address is longer than ${MAX_EMAIL_LENGTH} characters`;
  const at = wire.lastIndexOf('@');
  if (Buffer.byteLength(wire.slice(0, Math.max(at, 0))) > 64) return 'the part before @ is longer than 64 characters';
  if (PLAIN_ADDRESS.test(wire)) return undefined;
  // validator is CommonJS: its function is module.exports and, for typed ESM callers, .default too.
  if (!isEmail.default(wire, { allow_display_name: false, require_tld: true, allow_ip_domain: false })) {
    return 'it is not a valid email address';
  }
  return undefined;
}

/** White space, except U+FEFF: `String.prototype.trim()` drops it, but it is an invisible character to refuse. */
const EDGE_SPACE = /^[^\S\ufeff]+|[^\S\ufeff]+$/g;

/**
 * An address as given (an argument, a file's field), ready to check: surrounding white space
 * dropped and NFC. Never `.trim()`: it would silently drop a U+FEFF at either end.
 */
export function emailInput(text: string): string {
  return text.replace(EDGE_SPACE, '').normalize('NFC');
}

/** The address as it will be stored and shown (NFC), or a usage error saying what is wrong. */
export function requireEmail(email: string, what = 'email address'): string {
  const problem = emailProblem(email);
  if (problem) throw new UsageError(`invalid ${what} "${displayText(email)}": ${problem}`);
  return address(email).display;
}

export function nameProblem(value: string, field: string): string | undefined {
  if (CONTROL_CHARS.test(value)) return `the ${field} contains control characters`;
  if (value.length > MAX_NAME_LENGTH) return `the ${field} is longer than ${MAX_NAME_LENGTH} characters`;
  return undefined;
}

/** Custom messages may span lines (LF only); every other control character is refused. */
export function messageProblem(value: string): string | undefined {
  if (CONTROL_CHARS_EXCEPT_NEWLINE.test(value)) return 'the message contains control characters';
  if (value.length > MAX_MESSAGE_LENGTH) return `the message is longer than ${MAX_MESSAGE_LENGTH} characters`;
  return undefined;
}

export function requireName(value: string | undefined, field: string): string | undefined {
  if (value === undefined) return undefined;
  const problem = nameProblem(value, field);
  if (problem) throw new UsageError(`invalid ${field}: ${problem}`);
  return value.trim() || undefined;
}

export function requireMessage(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const problem = messageProblem(value);
  if (problem) throw new UsageError(`invalid --message: ${problem}`);
  return value.trim() || undefined;
}

const DURATION = /^(\d{1,6})\s*(s|m|h|d|w)$/;
const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 };

/** Inclusive limits for a duration, in seconds. */
export interface DurationBounds {
  min?: number;
  max?: number;
}

/** Parses "90s", "15m", "12h", "7d", "2w" into seconds: more than zero, and within `bounds` when given. */
export function parseDuration(text: string, flag: string, bounds: DurationBounds = {}): number {
  const match = text.trim().match(DURATION);
  if (!match) throw new UsageError(`invalid ${flag} ${JSON.stringify(truncate(text))}: use a number and a unit, e.g. 12h, 7d or 2w`);
  const seconds = Number(match[1]) * UNIT_SECONDS[match[2]!]!;
  const { min, max } = bounds;
  if ((min !== undefined && seconds < min) || (max !== undefined && seconds > max)) {
    const range =
      min !== undefined && max !== undefined
        ? `between ${formatDuration(min)} and ${formatDuration(max)}`
        : min !== undefined
          ? `at least ${formatDuration(min)}`
          : `at most ${formatDuration(max!)}`;
    throw new UsageError(`invalid ${flag} ${JSON.stringify(truncate(text))}: must be ${range}`);
  }
  if (seconds <= 0) throw new UsageError(`invalid ${flag}: must be more than zero`);
  return seconds;
}

export function formatDuration(seconds: number): string {
  for (const unit of ['w', 'd', 'h', 'm'] as const) {
    const size = UNIT_SECONDS[unit]!;
    if (seconds % size === 0) return `${seconds / size}${unit}`;
  }
  return `${seconds}s`;
}

/** A value for a message line: control and bidi characters made visible, at most `max` characters. */
export function displayText(text: string, max = 80): string {
  const visible = text.replace(CONTROL_CHARS_GLOBAL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return truncate(visible, max);
}

/** Control characters and Unicode format (Cf) characters: invisible on a terminal. */
const CONTROL_CHARS_GLOBAL = new RegExp(`${CONTROL_CHARS.source}|\\p{Cf}`, 'gu');

/** Keeps error messages one short line even for a 1 MB argument. */
export function truncate(text: string, max = 80): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
