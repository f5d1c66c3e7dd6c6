import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startDownServer, workspace } from '../helpers.js';
import { fastWorkspace, type FastWorkspace } from './harness.js';

const LASTPASS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'fixtures', 'lastpass');

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
  // init, members
  { scenario: 'init on a store that has a workspace', argv: ['init', '--workspace', 'Other', '--owner', 'o@other.example'], code: 2 },
  { scenario: 'members add', argv: ['members', 'add', 'admin@acme.example', '--role', 'admin'], code: 0 },
  { scenario: 'members add with an unknown role', argv: ['members', 'add', 'admin@acme.example', '--role', 'boss'], code: 2 },
  { scenario: 'members add as a user', setup: (ws) => ok(ws, ['members', 'add', 'user@acme.example', '--role', 'user']), argv: ['--as', 'user@acme.example', 'members', 'add', 'x@acme.example', '--role', 'user'], code: 4 },
  { scenario: 'members list', argv: ['members', 'list'], code: 0 },
  // list, show, unlock
  { scenario: 'list', argv: ['list'], code: 0 },
  { scenario: 'list --status bogus', argv: ['list', '--status', 'bogus'], code: 2 },
  { scenario: 'list as someone the workspace does not know', argv: ['--as', 'stranger@else.example', 'list'], code: 4 },
  { scenario: 'show a guest', setup: invited('a@partner.example'), argv: ['show', 'a@partner.example'], code: 0 },
  { scenario: 'show an unknown address', argv: ['show', 'nobody@partner.example'], code: 2 },
  { scenario: 'unlock a guest', setup: invited('a@partner.example'), argv: ['unlock', 'a@partner.example'], code: 0 },
  { scenario: 'unlock an unknown address', argv: ['unlock', 'nobody@partner.example'], code: 2 },
  // partners, accounts, share
  { scenario: 'partners create', argv: ['partners', 'create', 'P'], code: 0 },
  { scenario: 'partners create twice', setup: (ws) => ok(ws, ['partners', 'create', 'P']), argv: ['partners', 'create', 'p'], code: 2 },
  { scenario: 'partners create as a user', setup: (ws) => ok(ws, ['members', 'add', 'user@acme.example', '--role', 'user']), argv: ['--as', 'user@acme.example', 'partners', 'create', 'P'], code: 4 },
  { scenario: 'partners show an unknown partner', argv: ['partners', 'show', 'Nope'], code: 2 },
  { scenario: 'partners list', argv: ['partners', 'list'], code: 0 },
  { scenario: 'accounts add', argv: ['accounts', 'add', 'Acme Social'], code: 0 },
  { scenario: 'accounts add as a guest', setup: joined('g@partner.example'), argv: ['--as', 'g@partner.example', 'accounts', 'add', 'X'], code: 4 },
  { scenario: 'accounts list', argv: ['accounts', 'list'], code: 0 },
  { scenario: 'share without a partner or guest', setup: (ws) => ok(ws, ['accounts', 'add', 'A']), argv: ['share', 'A'], code: 2 },
  { scenario: 'share with a guest', setup: async (ws) => (await ok(ws, ['accounts', 'add', 'A']), await invited('a@partner.example')(ws)), argv: ['share', 'A', '--guest', 'a@partner.example'], code: 0 },
  { scenario: 'unshare what was not shared', setup: async (ws) => (await ok(ws, ['accounts', 'add', 'A']), await invited('a@partner.example')(ws)), argv: ['unshare', 'A', '--guest', 'a@partner.example'], code: 0 },
  // import, workspace
  { scenario: 'import lastpass: a good export and permissions', argv: ['import', 'lastpass', path.join(LASTPASS, 'export.csv'), '--permissions', path.join(LASTPASS, 'permissions.csv')], code: 0 },
  { scenario: 'import lastpass: a bad export (a failed migration)', argv: ['import', 'lastpass', path.join(LASTPASS, 'bad-export.csv'), '--permissions', path.join(LASTPASS, 'permissions.csv')], code: 2 },
  { scenario: 'import show an unknown id', argv: ['import', 'show', '9'], code: 2 },
  { scenario: 'import list', argv: ['import', 'list'], code: 0 },
  { scenario: 'invite --from-import of a failed migration', setup: (ws) => ws.cli(['import', 'lastpass', path.join(LASTPASS, 'bad-export.csv')]).then(() => undefined), argv: ['invite', '--from-import', '1'], code: 2 },
  { scenario: 'workspace domains add', argv: ['workspace', 'domains', 'add', 'acme.test'], code: 0 },
  { scenario: 'workspace domains add, not a domain', argv: ['workspace', 'domains', 'add', 'not a domain'], code: 2 },
  { scenario: 'workspace policy --mfa-required maybe', argv: ['workspace', 'policy', '--mfa-required', 'maybe'], code: 2 },
  { scenario: 'migrate with neither --to nor --from', argv: ['migrate'], code: 2 },
  { scenario: 'migrate --to a URL that is not PostgreSQL', argv: ['migrate', '--to', 'mysql://db.example/x'], code: 2 },
  { scenario: 'migrate --to with a password in the URL (argv)', argv: ['migrate', '--to', 'postgres://u:secret@db.example/x'], code: 2 },
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

/** doctor and smoke check files and sockets: their rows run on a store file, with a real SMTP side. */
describe('exit codes of doctor and smoke, on a store file', () => {
  test.each([
    ['doctor on a healthy store (outbox folder)', ['doctor'], false, 0],
    ['doctor with an SMTP server that is down', ['doctor'], true, 1],
    ['smoke (outbox folder)', ['smoke'], false, 0],
    ['smoke with an SMTP server that is down', ['smoke'], true, 1],
  ] as const)('%s', async (_scenario, argv, down, code) => {
    const server = down ? await startDownServer() : undefined;
    try {
      const ws = await workspace(server ? { smtp: server.url } : {});
      expect((await ws.cli([...argv])).code).toBe(code);
    } finally {
      await server?.close();
    }
  }, 30_000);
});
