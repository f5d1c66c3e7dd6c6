import { fingerprint, SeenAddresses } from '../src/csv/seen.js';

/** The bulk run's duplicate finder: exact for what it was given, growing without losing anything. */

test('first sight remembers the line; a repeat answers with it, through many growths', () => {
  const seen = new SeenAddresses(4);
  for (let i = 0; i < 50_000; i++) expect(seen.firstLine(`guest${i}@partner.example`, i + 2)).toBeUndefined();
  expect(seen.size).toBe(50_000);
  for (let i = 0; i < 50_000; i += 997) expect(seen.firstLine(`guest${i}@partner.example`, 999_999)).toBe(i + 2);
  expect(seen.size).toBe(50_000);
});

test('entries past the first chunk of 65,536 keep their lines', () => {
  const seen = new SeenAddresses();
  for (let i = 0; i < 150_000; i++) expect(seen.firstLine(`g${i}@p.example`, i + 2)).toBeUndefined();
  for (const i of [0, 65_535, 65_536, 131_072, 149_999]) expect(seen.firstLine(`g${i}@p.example`, 1)).toBe(i + 2);
  expect(seen.firstLine('new@p.example', 7)).toBeUndefined();
  expect(seen.size).toBe(150_001);
});

test('the two halves of a fingerprint are independent: no collision among a million similar addresses', () => {
  const prints = new Set<string>();
  for (let i = 0; i < 1_000_000; i++) {
    const [hi, lo] = fingerprint(`guest${i}@partner.example`);
    prints.add(`${hi}:${lo}`);
  }
  expect(prints.size).toBe(1_000_000);
  // Near neighbours differ in both halves.
  const [a1, b1] = fingerprint('ab@x.example');
  const [a2, b2] = fingerprint('ba@x.example');
  expect(a1).not.toBe(a2);
  expect(b1).not.toBe(b2);
});
