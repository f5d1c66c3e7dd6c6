/**
 * The addresses a bulk run has seen, and the line each was first on, in 12 bytes an address
 * (at most twice that while the table is half empty): a 1,000,000-row file costs 24 MB here,
 * where a Map of strings cost over 100 MB. An address is kept as a 64-bit fingerprint (two
 * independent 32-bit hashes of its identity), not as text; two different addresses share one
 * with a probability of about n²/2⁶⁵ — 3 in 100 million for a million rows.
 */
export class SeenAddresses {
  private hi: Uint32Array;
  private lo: Uint32Array;
  /** 0: an empty slot (CSV lines start at 1). */
  private lines: Uint32Array;
  private count = 0;

  constructor(initialCapacity = 1 << 12) {
    this.hi = new Uint32Array(initialCapacity);
    this.lo = new Uint32Array(initialCapacity);
    this.lines = new Uint32Array(initialCapacity);
  }

  get size(): number {
    return this.count;
  }

  /** The line `key` was first seen on; or undefined, and from now on it is seen on `line`. */
  firstLine(key: string, line: number): number | undefined {
    const [hi, lo] = fingerprint(key);
    const found = this.find(hi, lo);
    if (this.lines[found]! !== 0) return this.lines[found];
    this.hi[found] = hi;
    this.lo[found] = lo;
    this.lines[found] = line;
    if (++this.count * 2 > this.lines.length) this.grow();
    return undefined;
  }

  /** The slot holding this fingerprint, or the empty one where it goes (linear probing). */
  private find(hi: number, lo: number): number {
    const mask = this.lines.length - 1;
    let slot = lo & mask;
    while (this.lines[slot]! !== 0 && (this.hi[slot] !== hi || this.lo[slot] !== lo)) slot = (slot + 1) & mask;
    return slot;
  }

  private grow(): void {
    const { hi, lo, lines } = this;
    this.hi = new Uint32Array(lines.length * 2);
    this.lo = new Uint32Array(lines.length * 2);
    this.lines = new Uint32Array(lines.length * 2);
    for (let i = 0; i < lines.length; i++) {
      if (lines[i] === 0) continue;
      const slot = this.find(hi[i]!, lo[i]!);
      this.hi[slot] = hi[i]!;
      this.lo[slot] = lo[i]!;
      this.lines[slot] = lines[i]!;
    }
  }
}

/** FNV-1a and a Murmur-style multiply-xorshift, each finished with Murmur3's avalanche. */
export function fingerprint(key: string): [number, number] {
  let a = 0x811c9dc5;
  let b = 0x9747b28c ^ key.length;
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
    b ^= b >>> 15;
  }
  return [avalanche(a) >>> 0, avalanche(b) >>> 0];
}

function avalanche(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}
