/** Entries per chunk: chunks are added, never copied, so the entries cost 12 bytes an address. */
const CHUNK_BITS = 16;
const CHUNK = 1 << CHUNK_BITS;

/**
 * The addresses a bulk run has seen, and the line each was first on. An address is kept as a
 * 64-bit fingerprint (two independent 32-bit hashes of its identity), not as text; two different
 * addresses share one with a probability of about n²/2⁶⁵ — 3 in 100 million for a million rows.
 *
 * Entries (fingerprint and line, 12 bytes) sit in fixed chunks that are never copied; an open-
 * addressing index of entry numbers (4 bytes a slot, at most half full) is the only part that
 * doubles. A million rows peak at about 24 MB here (12 MB of entries, an 8 MB index and the 4 MB
 * one it replaces), where a Map of strings cost over 100 MB and one table of all three columns 36 MB.
 */
export class SeenAddresses {
  private readonly his: Uint32Array[] = [];
  private readonly los: Uint32Array[] = [];
  private readonly lines: Uint32Array[] = [];
  /** Entry number + 1 per slot; 0 is an empty slot. */
  private index: Uint32Array;
  private count = 0;

  constructor(initialSlots = 1 << 12) {
    this.index = new Uint32Array(Math.max(2, 1 << Math.ceil(Math.log2(initialSlots))));
  }

  get size(): number {
    return this.count;
  }

  /** The line `key` was first seen on; or undefined, and from now on it is seen on `line`. */
  firstLine(key: string, line: number): number | undefined {
    const [hi, lo] = fingerprint(key);
    const slot = this.find(hi, lo);
    const entry = this.index[slot]!;
    if (entry !== 0) return this.lines[(entry - 1) >>> CHUNK_BITS]![(entry - 1) & (CHUNK - 1)];
    const n = this.count++;
    const chunk = n >>> CHUNK_BITS;
    if (chunk === this.lines.length) {
      this.his.push(new Uint32Array(CHUNK));
      this.los.push(new Uint32Array(CHUNK));
      this.lines.push(new Uint32Array(CHUNK));
    }
    const at = n & (CHUNK - 1);
    this.his[chunk]![at] = hi;
    this.los[chunk]![at] = lo;
    this.lines[chunk]![at] = line;
    this.index[slot] = n + 1;
    if (this.count * 2 > this.index.length) this.grow();
    return undefined;
  }

  /** The slot holding this fingerprint, or the empty one where it goes (linear probing). */
  private find(hi: number, lo: number): number {
    const mask = this.index.length - 1;
    let slot = lo & mask;
    for (;;) {
      const entry = this.index[slot]!;
      if (entry === 0) return slot;
      const chunk = (entry - 1) >>> CHUNK_BITS;
      const at = (entry - 1) & (CHUNK - 1);
      if (this.los[chunk]![at] === lo && this.his[chunk]![at] === hi) return slot;
      slot = (slot + 1) & mask;
    }
  }

  private grow(): void {
    this.index = new Uint32Array(this.index.length * 2);
    const mask = this.index.length - 1;
    for (let n = 0; n < this.count; n++) {
      let slot = this.los[n >>> CHUNK_BITS]![n & (CHUNK - 1)]! & mask;
      while (this.index[slot] !== 0) slot = (slot + 1) & mask;
      this.index[slot] = n + 1;
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
