import { Chalk, type ChalkInstance } from 'chalk';

/**
 * chalk does not read NO_COLOR, so the level is decided here, once per stream:
 * --no-color and NO_COLOR turn it off, TERM=dumb too, FORCE_COLOR turns it on,
 * otherwise color only on a terminal.
 */
export function colorLevel(isTTY: boolean, env: Record<string, string | undefined>, flag: boolean | undefined): 0 | 1 | 2 | 3 {
  if (flag === false) return 0;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return 0;
  const force = env.FORCE_COLOR;
  if (force !== undefined && force !== '') {
    if (force === '0' || force === 'false') return 0;
    const n = Number(force);
    return n >= 1 && n <= 3 ? (n as 1 | 2 | 3) : 1;
  }
  if (!isTTY || env.TERM === 'dumb') return 0;
  if (env.COLORTERM === 'truecolor' || env.COLORTERM === '24bit') return 3;
  return /256/.test(env.TERM ?? '') ? 2 : 1;
}

export function makeChalk(level: 0 | 1 | 2 | 3): ChalkInstance {
  return new Chalk({ level });
}
