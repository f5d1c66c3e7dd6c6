import { fastWorkspace, type FastWorkspace } from './harness.js';

/**
 * SPEC §9 as one table: scenario → exit code, for every command. Each row starts from a fresh
 * in-memory workspace (owner@acme.example), runs its set-up, then the command under test.
 * A run over several items follows the one rule (src/result.ts): all done 0; some done 3;
 * none done 2 if every failure was bad input, else 1.
 */

interface Row {
  scenario: string;
  setup?: (ws: FastWorkspace) => Promise<void>;
  argv: string[];
  code: number;
}

const ok = async (ws: FastWorkspace, argv: string[]) => {
  const result = await ws.cli(argv);
  if (result.code !== 0) throw new Error(`${argv.join(' ')}: ${result.stderr}`);
};
const invited = (...emails: string[]) => (ws: FastWorkspace) => ok(ws, ['invite', ...emails]);
/**
 * The fake SMTP server refuses (550) the next send, or cannot take (connection lost before the
 * data) the next three attempts, all a run makes.
 */
const mailFails = (kind: 'permanent' | 'transient') => (ws: FastWorkspace) => {
  for (let i = 0; i < (kind === 'permanent' ? 1 : 3); i++) {
    ws.mailer.failures.push(
      kind === 'permanent' ? Object.assign(new Error('550 No such mailbox'), { responseCode: 550 }) : Object.assign(new Error('Connection closed unexpectedly'), { code: 'ECONNECTION' }),
    );
  }
  return Promise.resolve();
};
const joined = (email: string) => async (ws: FastWorkspace) => {
  await ok(ws, ['invite', email]);
  await ok(ws, ['join', '--username', email, '--temp-password', ws.mailer.tempPasswordFor(email), '--new-password', 'correct horse battery staple 42', '--name', 'A', '--family-name', 'B', '--accept-tos']);
};

const TABLE: Row[] = [
  // The command line itself.
  { scenario: '--version', argv: ['--version'], code: 0 },
  { scenario: '--help', argv: ['--help'], code: 0 },
  { scenario: 'an unknown command', argv: ['invitee'], code: 2 },
  { scenario: 'an unknown flag', argv: ['invite', '--bogus'], code: 2 },
  // invite
  { scenario: 'invite: one new address', argv: ['invite', 'a@partner.example'], code: 0 },
  { scenario: 'invite: already pending (nothing to do)', setup: invited('a@partner.example'), argv: ['invite', 'a@partner.example'], code: 0 },
  { scenario: 'invite: a workspace member', argv: ['invite', 'owner@acme.example'], code: 2 },
  { scenario: 'invite: an invalid address', argv: ['invite', 'not-an-address'], code: 2 },
  { scenario: 'invite: one invited, one a member', argv: ['invite', 'a@partner.example', 'owner@acme.example'], code: 3 },
  { scenario: 'invite: the server refuses it (5xx)', setup: mailFails('permanent'), argv: ['invite', 'a@partner.example'], code: 1 },
  { scenario: 'invite: the server cannot be reached', setup: mailFails('transient'), argv: ['invite', 'a@partner.example'], code: 1 },
  { scenario: 'invite: one sent, one refused by the server', setup: mailFails('permanent'), argv: ['invite', 'a@partner.example', 'b@partner.example'], code: 3 },
  { scenario: 'invite: as a guest who may not', setup: joined('g@partner.example'), argv: ['--as', 'g@partner.example', 'invite', 'a@partner.example'], code: 4 },
  { scenario: 'invite --dry-run', argv: ['invite', 'a@partner.example', '--dry-run'], code: 0 },
  // resend
  { scenario: 'resend: a pending invite', setup: invited('a@partner.example'), argv: ['resend', 'a@partner.example'], code: 0 },
  { scenario: 'resend: an unknown address', argv: ['resend', 'nobody@partner.example'], code: 2 },
  { scenario: 'resend: one pending, one unknown', setup: invited('a@partner.example'), argv: ['resend', 'a@partner.example', 'nobody@partner.example'], code: 3 },
  { scenario: 'resend: no address and no --all-pending', argv: ['resend'], code: 2 },
  { scenario: 'resend --all-pending with nothing pending', argv: ['resend', '--all-pending'], code: 0 },
  // revoke
  { scenario: 'revoke: a pending invite', setup: invited('a@partner.example'), argv: ['revoke', 'a@partner.example'], code: 0 },
  { scenario: 'revoke: a joined guest', setup: joined('a@partner.example'), argv: ['revoke', 'a@partner.example'], code: 0 },
  { scenario: 'revoke: an unknown address', argv: ['revoke', 'nobody@partner.example'], code: 2 },
  { scenario: 'revoke: as a guest who may not', setup: async (ws) => (await joined('g@partner.example')(ws), await invited('a@partner.example')(ws)), argv: ['--as', 'g@partner.example', 'revoke', 'a@partner.example'], code: 4 },
  // outbox
  { scenario: 'outbox list', argv: ['outbox', 'list'], code: 0 },
  { scenario: 'outbox list --state bogus', argv: ['outbox', 'list', '--state', 'bogus'], code: 2 },
  { scenario: 'outbox flush: nothing due', argv: ['outbox', 'flush'], code: 0 },
  { scenario: 'outbox flush --concurrency 0', argv: ['outbox', 'flush', '--concurrency', '0'], code: 2 },
  // join
  { scenario: 'join: a wrong temporary password', setup: invited('a@partner.example'), argv: ['join', '--username', 'a@partner.example', '--temp-password', 'x'.repeat(24)], code: 1 },
  { scenario: 'join: a missing flag without a terminal', setup: invited('a@partner.example'), argv: ['join', '--username', 'a@partner.example'], code: 2 },
  { scenario: 'join: declining the terms', setup: invited('a@partner.example'), argv: ['join', '--username', 'a@partner.example', '--temp-password', 'PENDING', '--new-password', 'correct horse battery staple 42', '--name', 'A', '--family-name', 'B', '--decline-tos'], code: 1 },
];

describe('exit codes (SPEC §9), scenario by scenario', () => {
  test.each(TABLE.map((row) => [row.scenario, row] as const))('%s', async (_scenario, row) => {
    const ws = await fastWorkspace();
    await row.setup?.(ws);
    // A temporary password the set-up sent, where the row needs the real one.
    const argv = row.argv.map((a) => (a === 'PENDING' ? ws.mailer.tempPasswordFor('a@partner.example') : a));
    const result = await ws.cli(argv);
    expect({ code: result.code, stderr: result.stderr.split('\n').filter((l) => l.startsWith('cerby-guests:')).length <= 1 }).toEqual({ code: row.code, stderr: true });
  });
});
