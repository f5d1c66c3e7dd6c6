/**
 * Times for people and for scripts: relative on a terminal ("3 days ago", "in 6 days"),
 * ISO-8601 (as stored) in JSON, CSV and TSV. Every command shows times through these.
 */

const UNITS: [Intl.RelativeTimeFormatUnit, number][] = [
  ['year', 365 * 86_400_000],
  ['month', 30 * 86_400_000],
  ['week', 7 * 86_400_000],
  ['day', 86_400_000],
  ['hour', 3_600_000],
  ['minute', 60_000],
];

// Made on first use: building an Intl formatter costs ~10 ms of ICU start-up, and most runs print no time.
let relative: Intl.RelativeTimeFormat | undefined;

/** "3 days ago", "in 6 days", "just now"; rounded down to the largest whole unit (weeks only up to a month). */
export function relativeTime(iso: string, now: Date): string {
  const then = Date.parse(iso);
  if (Number.isNaN(then)) return iso;
  const delta = then - now.getTime();
  const size = Math.abs(delta);
  if (size < 60_000) return 'just now';
  for (const [unit, ms] of UNITS) {
    // "5 weeks ago" reads worse than "1 month ago": weeks stop at a month.
    if (unit === 'week' && size >= 30 * 86_400_000) continue;
    relative ??= new Intl.RelativeTimeFormat('en', { numeric: 'always' });
    if (size >= ms) return relative.format(Math.sign(delta) * Math.floor(size / ms), unit);
  }
  return 'just now';
}

/** "2026-11-30 14:05 UTC": exact, for a person, in any time zone. */
export function utcMinute(iso: string): string {
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
}
