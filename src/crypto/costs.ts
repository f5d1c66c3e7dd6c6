/** scrypt's work factor: N (CPU/memory cost, a power of 2), r (block size), p (parallelism). */
export interface ScryptCost {
  N: number;
  r: number;
  p: number;
}

/**
 * How slow the password hashes are. The real values come from here; tests pass cheap ones
 * through the deps (one test checks these), so a join costs milliseconds there, not a second.
 */
export interface CryptoCosts {
  /** The guest's own password: OWASP's scrypt floor, N=2^17, r=8, p=1 (128 MiB). */
  password: ScryptCost;
  /** The key that seals the TOTP secret under that password. */
  seal: ScryptCost;
}

export const REAL_COSTS: CryptoCosts = {
  password: { N: 2 ** 17, r: 8, p: 1 },
  seal: { N: 2 ** 15, r: 8, p: 1 },
};
