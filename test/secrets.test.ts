import { generateTempPassword, hashTempPassword, TEMP_PASSWORD_BITS, tempPasswordMatches } from '../src/crypto/temp-password.js';

describe('temporary passwords', () => {
  test('24 characters, ≥ 112 bits, from the look-alike-free alphabet, roughly uniform', () => {
    expect(TEMP_PASSWORD_BITS).toBeGreaterThanOrEqual(112);
    const counts = new Map<string, number>();
    const seen = new Set<string>();
    for (let i = 0; i < 4000; i++) {
      const password = generateTempPassword();
      expect(password).toMatch(/^[A-HJ-NP-Za-km-z2-9]{24}$/);
      seen.add(password);
      for (const c of password) counts.set(c, (counts.get(c) ?? 0) + 1);
    }
    expect(seen.size).toBe(4000);
    expect(counts.size).toBe(57);
    // 96,000 draws over 57 letters: each near 1,684; a biased modulo would push some letters 25% up.
    for (const n of counts.values()) expect(Math.abs(n - 96000 / 57)).toBeLessThan(200);
  });

  test('the keyed hash verifies only the right password with the right key', () => {
    const key = Buffer.alloc(32, 7);
    const hash = hashTempPassword(key, 'abc');
    expect(hash).toMatch(/^hmac-sha256:[0-9a-f]{64}$/);
    expect(tempPasswordMatches(key, 'abc', hash)).toBe(true);
    expect(tempPasswordMatches(key, 'abd', hash)).toBe(false);
    expect(tempPasswordMatches(Buffer.alloc(32, 8), 'abc', hash)).toBe(false);
  });
});
