import { randomBytesPooled } from '../src/crypto/random.js';
import { generateTempPassword, TEMP_PASSWORD_LENGTH } from '../src/crypto/temp-password.js';

/** The pooled CSPRNG behind temporary passwords, Message-IDs and link tokens: no byte handed out twice. */

test('draws never repeat, across many refills of the pool, and each has the size asked for', () => {
  const seen = new Set<string>();
  // 48 bytes does not divide 4096: draws straddle the end of each pool.
  for (let i = 0; i < 1_000; i++) {
    const bytes = randomBytesPooled(i % 2 ? 48 : 16);
    expect(bytes.length).toBe(i % 2 ? 48 : 16);
    seen.add(bytes.toString('hex'));
  }
  expect(seen.size).toBe(1_000);
});

test('a draw larger than the pool comes straight from the generator', () => {
  const big = randomBytesPooled(10_000);
  expect(big.length).toBe(10_000);
  expect(new Set(big).size).toBeGreaterThan(200);
});

test('temporary passwords from the pool: the length, the alphabet, no two alike', () => {
  const passwords = Array.from({ length: 2_000 }, () => generateTempPassword());
  expect(new Set(passwords).size).toBe(2_000);
  for (const password of passwords) expect(password).toMatch(new RegExp(`^[A-HJ-NP-Za-km-z2-9]{${TEMP_PASSWORD_LENGTH}}$`));
});
