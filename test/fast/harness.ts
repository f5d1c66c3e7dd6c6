import { openStore, IN_MEMORY, type Store } from '../../src/store/store.js';
import { FakeMailer } from '../fakes.js';
import { Clock, run, type RunOptions, type RunResult } from '../helpers.js';

/**
 * The fast layer: the real command line on an in-memory store, a fake mailer and a fake
 * clock, as a person at a terminal (`tty: true`) or a script (piped). No file, no socket.
 */
export interface FastWorkspace {
  cli: (argv: string[], extra?: RunOptions) => Promise<RunResult>;
  store: Store;
  mailer: FakeMailer;
  clock: Clock;
}

export async function fastWorkspace(options: RunOptions & { init?: boolean } = {}): Promise<FastWorkspace> {
  const store = openStore(IN_MEMORY, { create: true });
  const mailer = new FakeMailer();
  const clock = options.clock ?? new Clock();
  const providers = { store: () => store, mailer: () => mailer };
  // --db names the store in messages (init hints); the provider decides what is opened.
  const cli = (argv: string[], extra: RunOptions = {}) =>
    run(['--db', 'fast.db', '--smtp', 'smtp://fake.invalid', ...argv], { clock, env: { NO_COLOR: '1' }, ...options, ...extra, providers });
  if (options.init !== false) {
    const init = await cli(['init', '--workspace', 'Acme', '--owner', 'owner@acme.example', '--sign-in-url', 'https://acme.example']);
    if (init.code !== 0) throw new Error(`init failed: ${init.stderr}`);
  }
  return { cli, store, mailer, clock };
}

/** Runs `body` once as a person at a terminal and once piped, each on a fresh workspace. */
export function eachTerminal(body: (ws: FastWorkspace, tty: boolean) => Promise<void>): [string, () => Promise<void>][] {
  return [true, false].map((tty) => [tty ? 'on a terminal' : 'piped', async () => body(await fastWorkspace({ tty }), tty)]);
}

/** For `describe.each`: a person at a terminal, then a script. */
export const TERMINALS = [
  ['on a terminal', true],
  ['piped', false],
] as const;
