import { InvalidArgumentError } from '@commander-js/extra-typings';
import { UsageError } from '../errors.js';
import { emailInput, emailKey, parseDuration, requireEmail, truncate } from '../validate.js';

/**
 * Option parsers, one per kind of value, for commander's typed options: a renamed flag or a
 * wrong type is a compile error, and a bad value is a usage error (exit 2) naming the flag.
 */

/** One of `values`. */
export function oneOf<T extends string>(values: readonly T[]): (text: string) => T {
  return (text) => {
    const value = text.trim();
    if ((values as readonly string[]).includes(value)) return value as T;
    throw new InvalidArgumentError(`use one of ${values.join(', ')}`);
  };
}

/** A comma list of `values` that may also repeat (`--status a,b --status c`); duplicates dropped. */
export function listOf<T extends string>(values: readonly T[]): (text: string, previous?: T[]) => T[] {
  const one = oneOf(values);
  return (text, previous = []) => [...new Set([...previous, ...text.split(',').filter((v) => v.trim() !== '').map(one)])];
}

/** A whole number from `min` to `max`. */
export function intBetween(min: number, max: number): (text: string) => number {
  return (text) => {
    const n = Number(text);
    if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`expected a whole number from ${min} to ${max}`);
    return n;
  };
}

/** A duration such as 90s, 15m, 12h, 7d or 2w, in seconds, within bounds. */
export function duration(flag: string, bounds?: { min?: number; max?: number }): (text: string) => number {
  return (text) => parseDuration(text, flag, bounds);
}

/** A comma-separated list of plain words (e.g. domains), empty items dropped. */
export function commaSeparated(text: string): string[] {
  return text
    .split(',')
    .map((v) => v.trim())
    .filter(Boolean);
}

/**
 * Addresses from the command line, each in the form it is stored (NFC), duplicates (by
 * identity) dropped. A bad one stops the run before anything is stored.
 */
export function addresses(emails: readonly string[], what = 'email address'): string[] {
  if (emails.length === 0) throw new UsageError(`give at least one ${what}`);
  const seen = new Set<string>();
  const unique: string[] = [];
  for (const raw of emails) {
    const email = requireEmail(emailInput(raw));
    const key = emailKey(email);
    if (seen.has(key)) continue;
    seen.add(key);
    unique.push(email);
  }
  return unique;
}

/** For messages about a value that is not a flag's (e.g. a CSV cell). */
export const shown = (text: string) => JSON.stringify(truncate(text, 40));

/** A number (fractions allowed) more than 0 and at most `max`, e.g. seconds to wait: anything else is a usage error naming the flag. */
export function positiveUpTo(flag: string, max: number): (text: string) => number {
  return (text) => {
    const n = Number(text);
    if (text.trim() === '' || !(n > 0 && n <= max)) throw new UsageError(`${flag} must be more than 0 and at most ${max}`);
    return n;
  };
}
