import { fingerprint, SeenAddresses } from '../src/csv/seen.js';

/** The bulk run's duplicate finder: exact for what it was given, growing without losing anything. */

test('first sight remembers the line; a repeat answers with it, through many growths', () => {
  const seen = new SeenAddresses(4);
  // Checked in plain loops, one expect at the end rather than one per address (this file made
  // 200,000 expect() calls and took 23 s).
  const seenBefore: number[] = [];
  for (let i = 0; i < 50_000; i++) if (seen.firstLine(`guest${i}@partner.example`, i + 2) !== undefined) seenBefore.push(i);
  expect(seenBefore).toEqual([]);
  expect(seen.size).toBe(50_000);
  const wrongLines: number[] = [];
  for (let i = 0; i < 50_000; i += 997) if (seen.firstLine(`guest${i}@partner.example`, 999_999) !== i + 2) wrongLines.push(i);
  expect(wrongLines).toEqual([]);
  expect(seen.size).toBe(50_000);
});

test('entries past the first chunk of 65,536 keep their lines', () => {
  const seen = new SeenAddresses();
  const seenBefore: number[] = [];
  for (let i = 0; i < 150_000; i++) if (seen.firstLine(`g${i}@p.example`, i + 2) !== undefined) seenBefore.push(i);
  expect(seenBefore).toEqual([]);
  for (const i of [0, 65_535, 65_536, 131_072, 149_999]) expect(seen.firstLine(`g${i}@p.example`, 1)).toBe(i + 2);
  expect(seen.firstLine('new@p.example', 7)).toBeUndefined();
  expect(seen.size).toBe(150_001);
});

test('the two halves of a fingerprint are independent: no collision among a million similar addresses', () => {
  // 8 MB of sorted 64-bit fingerprints rather than a Set of a million strings: run last, that
  // heap is the likely reason its jest worker did not exit within jest's 500 ms ("failed to exit
  // gracefully" after this file in every fresh-clone run).
  // The halves go in through a 32-bit view (no BigInt per address): equal pairs make equal 64-bit
  // values, distinct pairs distinct ones, whatever the byte order.
  const prints = new BigUint64Array(1_000_000);
  const halves = new Uint32Array(prints.buffer);
  for (let i = 0; i < prints.length; i++) [halves[2 * i], halves[2 * i + 1]] = fingerprint(`guest${i}@partner.example`);
  prints.sort();
  let repeats = 0;
  for (let i = 2; i < halves.length; i += 2) if (halves[i] === halves[i - 2] && halves[i + 1] === halves[i - 1]) repeats++;
  expect(repeats).toBe(0);
  // Near neighbours differ in both halves.
  const [a1, b1] = fingerprint('ab@x.example');
  const [a2, b2] = fingerprint('ba@x.example');
  expect(a1).not.toBe(a2);
  expect(b1).not.toBe(b2);
});
