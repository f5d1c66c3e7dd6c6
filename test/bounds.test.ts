import { iso } from '../src/time.js';
import { parseDuration } from '../src/validate.js';
import { DAY, workspace } from './helpers.js';

describe('duration bounds', () => {
  test('within the bounds, the bounds included', () => {
    expect(parseDuration('1m', '--x', { min: 60, max: 365 * 86_400 })).toBe(60);
    expect(parseDuration('365d', '--x', { min: 60, max: 365 * 86_400 })).toBe(365 * 86_400);
    expect(parseDuration('999999w', '--x')).toBe(999_999 * 604_800);
  });

  test.each([
    ['59s', { min: 60, max: 86_400 }, 'invalid --x "59s": must be between 1m and 1d'],
    ['25h', { min: 60, max: 86_400 }, 'invalid --x "25h": must be between 1m and 1d'],
    ['30s', { min: 60 }, 'invalid --x "30s": must be at least 1m'],
    ['999999w', { max: 3650 * 86_400 }, 'invalid --x "999999w": must be at most 3650d'],
    ['0d', { max: 3650 * 86_400 }, 'invalid --x: must be more than zero'],
  ])('%s with %j is refused', (text, bounds, message) => {
    expect(() => parseDuration(text, '--x', bounds)).toThrow(message);
  });
});

describe('stored timestamps', () => {
  test('ISO-8601 UTC with a four-digit year', () => {
    expect(iso(new Date('2026-11-23T10:00:00Z'))).toBe('2026-11-23T10:00:00.000Z');
    expect(iso(new Date('0000-01-01T00:00:00Z'))).toBe('0000-01-01T00:00:00.000Z');
    expect(iso(new Date('9999-12-31T23:59:59.999Z'))).toBe('9999-12-31T23:59:59.999Z');
  });

  test('a year past 9999 or before 0 is a programming error, never a value to store', () => {
    expect(() => iso(new Date(Date.UTC(10000, 0, 1)))).toThrow('timestamp out of range: +010000-01-01T00:00:00.000Z');
    expect(() => iso(new Date(Date.UTC(-1, 0, 1)))).toThrow(/timestamp out of range: -000001-/);
    expect(() => iso(new Date(Date.now() + 500_000 * 7 * DAY))).toThrow(/timestamp out of range: \+01\d{4}-/);
  });
});

describe('resend --older-than', () => {
  test('at most 10 years: 999999w exits 2 and resends nothing', async () => {
    const { cli } = await workspace();
    expect((await cli(['invite', 'guest@partner.example'])).code).toBe(0);
    const refused = await cli(['resend', '--all-pending', '--older-than', '999999w']);
    expect(refused.code).toBe(2);
    expect(refused.stderr.trim().split('\n')).toEqual(['cerby-guests: invalid --older-than "999999w": must be at most 3650d']);
    const [row] = JSON.parse((await cli(['list', '--json'])).stdout);
    expect(row.sendCount).toBe(1);
  });

  test('3650d is accepted (nothing that old here)', async () => {
    const { cli, clock } = await workspace();
    expect((await cli(['invite', 'guest@partner.example'])).code).toBe(0);
    clock.advance(DAY);
    const result = await cli(['resend', '--all-pending', '--older-than', '3650d', '--json']);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout).results).toEqual([]);
  });
});
