import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Clock, run, startSmtp, tempDir, workspace, type TestSmtp } from './helpers.js';

const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'lastpass');

const JOIN_FLAGS = ['--new-password', 'correct horse battery staple 42', '--name', 'Ada', '--family-name', 'Lovelace', '--accept-tos'];

type Cli = (argv: string[]) => Promise<{ code: number; stdout: string; stderr: string }>;

/** The guest joins as a guest does: `cerby-guests join` with the invite email they received (steps 1–6). */
async function join(cli: Cli, dir: string, email: string): Promise<void> {
  const mail = smtp.messages.filter((m) => m.to.includes(email)).at(-1);
  if (!mail) throw new Error(`no invite email for ${email}`);
  const eml = path.join(dir, `${email}.eml`);
  fs.writeFileSync(eml, mail.raw);
  await ok(cli, ['join', '--email-file', eml, ...JOIN_FLAGS]);
}

let smtp: TestSmtp;
/** The store every test starts from: made once (each join costs a scrypt), copied per test. */
let prepared: string;
beforeAll(async () => {
  smtp = await startSmtp();
  prepared = (await matrixWorkspace()).db;
}, 60_000);
afterAll(async () => {
  await smtp.close();
});

async function ok(cli: Cli, argv: string[]) {
  const result = await cli(argv);
  if (result.code !== 0) throw new Error(`${argv.join(' ')} → ${result.code}: ${result.stderr}`);
  return result;
}

/** The workspace every test starts from (see `prepared`). */
async function matrixWorkspace() {
  const ws = await workspace({ smtp: smtp.url });
  const c = (argv: string[]) => ok(ws.cli, argv);
  await c(['members', 'add', 'super@acme.example', '--role', 'super_admin']);
  await c(['members', 'add', 'admin@acme.example', '--role', 'admin']);
  await c(['members', 'add', 'user@acme.example', '--role', 'user']);
  await c(['members', 'add', 'host@acme.example', '--role', 'user']);
  await c(['partners', 'create', 'Partner P']);
  await c(['partners', 'create', 'Partner Q']);
  await c(['partners', 'add-host', 'Partner P', 'host@acme.example']);
  await c(['accounts', 'add', 'Acme Social', '--url', 'https://social.example/acme']);
  await c(['invite', 'ga@p.example', '--partner', 'Partner P', '--role', 'guest_admin']);
  await c(['invite', 'gaq@q.example', '--partner', 'Partner Q', '--role', 'guest_admin']);
  await c(['invite', 'gu@p.example', '--partner', 'Partner P']);
  await c(['invite', 'pu@p.example', '--partner', 'Partner P']);
  await c(['invite', 'pga@p.example', '--partner', 'Partner P', '--role', 'guest_admin']);
  for (const g of ['ga@p.example', 'gaq@q.example', 'gu@p.example']) await join(ws.cli, ws.dir, g);
  await c(['share', 'Acme Social', '--guest', 'ga@p.example', '--role', 'manager']);
  await c(['share', 'Acme Social', '--guest', 'gaq@q.example', '--role', 'manager']);
  return ws;
}

const ACTORS = {
  owner: 'owner@acme.example',
  super_admin: 'super@acme.example',
  admin: 'admin@acme.example',
  user: 'user@acme.example',
  host_admin: 'host@acme.example',
  guest_admin_p: 'ga@p.example',
  guest_admin_q: 'gaq@q.example',
  guest_user: 'gu@p.example',
  unknown: 'stranger@else.example',
} as const;
type ActorName = keyof typeof ACTORS;
const ALL = Object.keys(ACTORS) as ActorName[];
const MEMBERS: ActorName[] = ['owner', 'super_admin', 'admin', 'user', 'host_admin'];
const ADMINS: ActorName[] = ['owner', 'super_admin', 'admin'];

const LASTPASS = [path.join(FIXTURES, 'export.csv'), '--permissions', path.join(FIXTURES, 'permissions.csv')];

/** command → the actors allowed to run it; everyone else must get exit 4 and change nothing. */
const MATRIX: [string, string[], ActorName[]][] = [
  ['invite (workspace)', ['invite', 'new@x.example'], MEMBERS],
  ['invite guest_user to P', ['invite', 'new@p.example', '--partner', 'Partner P'], [...MEMBERS, 'guest_admin_p']],
  ['invite guest_admin to P', ['invite', 'new@p.example', '--partner', 'Partner P', '--role', 'guest_admin'], MEMBERS],
  ['resend a Guest User of P', ['resend', 'pu@p.example'], [...MEMBERS, 'guest_admin_p']],
  ['revoke a Guest User of P', ['revoke', 'pu@p.example'], [...MEMBERS, 'guest_admin_p']],
  ['show a Guest User of P', ['show', 'pu@p.example'], [...MEMBERS, 'guest_admin_p']],
  ['resend a pending Guest Admin of P', ['resend', 'pga@p.example'], MEMBERS],
  ['list guests', ['list'], [...MEMBERS, 'guest_admin_p', 'guest_admin_q']],
  ['partners create', ['partners', 'create', 'Partner R'], ADMINS],
  ['partners add-host', ['partners', 'add-host', 'Partner P', 'user@acme.example'], ADMINS],
  ['partners show P', ['partners', 'show', 'Partner P'], [...MEMBERS, 'guest_admin_p', 'guest_user']],
  ['accounts add', ['accounts', 'add', 'New Account'], MEMBERS],
  ['accounts list', ['accounts', 'list'], [...MEMBERS, 'guest_admin_p', 'guest_admin_q', 'guest_user']],
  ['share with partner P', ['share', 'Acme Social', '--partner', 'Partner P'], [...ADMINS, 'host_admin']],
  ['share with a Guest User of P (user)', ['share', 'Acme Social', '--guest', 'pu@p.example'], [...ADMINS, 'host_admin', 'guest_admin_p']],
  ['share with a Guest User of P (manager)', ['share', 'Acme Social', '--guest', 'pu@p.example', '--role', 'manager'], [...ADMINS, 'host_admin']],
  ['unshare from a Guest Admin of P', ['unshare', 'Acme Social', '--guest', 'ga@p.example'], [...ADMINS, 'host_admin']],
  ['import lastpass', ['import', 'lastpass', ...LASTPASS], ADMINS],
  ['members add', ['members', 'add', 'm@acme.example', '--role', 'user'], ADMINS],
  ['workspace domains add', ['workspace', 'domains', 'add', 'acme.test'], ADMINS],
];

/** A copy of the prepared store in a folder of its own, and a runner bound to it. */
function preparedWorkspace(): { dir: string; db: string; cli: Cli } {
  const dir = tempDir();
  const db = path.join(dir, 'guests.db');
  fs.copyFileSync(prepared, db);
  const clock = new Clock();
  return { dir, db, cli: (argv) => run(['--db', db, '--smtp', smtp.url, ...argv], { clock }) };
}

describe('role × command matrix (SPEC §6 and the partner rules), end to end', () => {
  // The whole table runs on authorize() itself (test/fast/permissions.test.ts); through the
  // command line, each command once with its least-privileged allowed actor and once refused.
  const cases = MATRIX.flatMap(([name, argv, allowed]) => {
    const refused = ALL.find((a) => !allowed.includes(a) && a !== 'unknown') ?? 'unknown';
    return [[name, allowed[allowed.length - 1]!, argv, true] as const, [name, refused, argv, false] as const];
  });
  test.each(cases)('%s as %s', async (_name, actor, argv, allowed) => {
    // Each case on its own copy of the same store.
    const dir = tempDir();
    const db = path.join(dir, 'guests.db');
    fs.copyFileSync(prepared, db);
    const before = fs.readFileSync(db);
    const result = await run(['--db', db, '--smtp', smtp.url, ...argv, '--as', ACTORS[actor]]);
    if (allowed) {
      expect([argv.join(' '), actor, result.code, result.stderr]).toEqual([argv.join(' '), actor, 0, expect.any(String)]);
    } else {
      expect([argv.join(' '), actor, result.code]).toEqual([argv.join(' '), actor, 4]);
      expect(result.stderr).toMatch(/not permitted: .*you need/);
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
      expect(fs.readFileSync(db).equals(before)).toBe(true);
    }
  });
});

describe('partners and sharing', () => {
  test('partners show: members by partner role and shared accounts; the creator is Host Admin', async () => {
    const ws = preparedWorkspace();
    await ok(ws.cli, ['share', 'Acme Social', '--partner', 'Partner P']);
    const show = JSON.parse((await ws.cli(['partners', 'show', 'Partner P', '--json'])).stdout);
    expect(show.hostAdmins).toEqual(['owner@acme.example', 'host@acme.example']);
    expect(show.guestAdmins).toEqual([
      { email: 'ga@p.example', status: 'joined' },
      { email: 'pga@p.example', status: 'pending' },
    ]);
    expect(show.guestUsers.map((g: { email: string }) => g.email)).toEqual(['gu@p.example', 'pu@p.example']);
    expect(show.accounts).toEqual([{ account: 'Acme Social', role: 'user', sharedBy: 'owner@acme.example' }]);
    const list = JSON.parse((await ws.cli(['list', '--json', '--partner', 'Partner P'])).stdout);
    expect(list.map((g: { email: string; partner: string; partnerRole: string }) => [g.email, g.partner, g.partnerRole])).toEqual([
      ['ga@p.example', 'Partner P', 'guest_admin'],
      ['gu@p.example', 'Partner P', 'guest_user'],
      ['pga@p.example', 'Partner P', 'guest_admin'],
      ['pu@p.example', 'Partner P', 'guest_user'],
    ]);
  });

  test('a Guest Admin lists and manages only their own partner\'s Guest Users', async () => {
    const ws = preparedWorkspace();
    const list = JSON.parse((await ws.cli(['list', '--json', '--as', 'ga@p.example'])).stdout);
    expect(list.map((g: { email: string }) => g.email)).toEqual(['ga@p.example', 'gu@p.example', 'pga@p.example', 'pu@p.example']);
    const other = JSON.parse((await ws.cli(['list', '--json', '--as', 'gaq@q.example'])).stdout);
    expect(other.map((g: { email: string }) => g.email)).toEqual(['gaq@q.example']);
    const invite = await ws.cli(['invite', 'x@q.example', '--partner', 'Partner Q', '--as', 'ga@p.example']);
    expect(invite.code).toBe(4);
    expect(invite.stderr).toMatch(/Guest Admin of partner Partner P; to invite guests to partner Partner Q/);
  });

  test('accounts list --as GUEST shows exactly what that guest can access, directly or through the partner', async () => {
    const ws = preparedWorkspace();
    await ok(ws.cli, ['accounts', 'add', 'Acme Ads']);
    await ok(ws.cli, ['accounts', 'add', 'Secret Board']);
    await ok(ws.cli, ['share', 'Acme Ads', '--partner', 'Partner P']);
    await ok(ws.cli, ['share', 'Acme Social', '--guest', 'gu@p.example', '--as', 'ga@p.example']);
    const access = JSON.parse((await ws.cli(['accounts', 'list', '--json', '--as', 'gu@p.example'])).stdout);
    expect(access).toEqual([
      { account: 'Acme Ads', url: null, role: 'user', via: 'partner Partner P' },
      { account: 'Acme Social', url: 'https://social.example/acme', role: 'user', via: 'direct' },
    ]);
    await ok(ws.cli, ['unshare', 'Acme Social', '--guest', 'gu@p.example']);
    const after = JSON.parse((await ws.cli(['accounts', 'list', '--json', '--as', 'gu@p.example'])).stdout);
    expect(after.map((a: { account: string }) => a.account)).toEqual(['Acme Ads']);
  });

  test('a Guest Admin without the Manager role on an account may not share it', async () => {
    const ws = preparedWorkspace();
    await ok(ws.cli, ['unshare', 'Acme Social', '--guest', 'ga@p.example']);
    await ok(ws.cli, ['share', 'Acme Social', '--guest', 'ga@p.example', '--role', 'user']);
    const result = await ws.cli(['share', 'Acme Social', '--guest', 'gu@p.example', '--as', 'ga@p.example']);
    expect(result.code).toBe(4);
    expect(result.stderr).toMatch(/you need the Manager role on Acme Social \(you have user on it\)/);
  });

  test('unknown partner, unknown role, duplicate partner: exit 2', async () => {
    const ws = preparedWorkspace();
    expect((await ws.cli(['invite', 'a@x.example', '--partner', 'Nope'])).stderr).toMatch(/no partner "Nope"/);
    expect((await ws.cli(['invite', 'a@x.example', '--partner', 'Partner P', '--role', 'boss'])).code).toBe(2);
    expect((await ws.cli(['invite', 'a@x.example', '--role', 'guest_user'])).stderr).toMatch(/--role goes with --partner/);
    expect((await ws.cli(['partners', 'create', 'partner p'])).stderr).toMatch(/exists already/);
    expect((await ws.cli(['share', 'Acme Social'])).stderr).toMatch(/exactly one of --partner NAME or --guest EMAIL/);
  });

  test('CSV partner and role columns', async () => {
    const ws = preparedWorkspace();
    const file = path.join(ws.dir, 'p.csv');
    fs.writeFileSync(file, 'email,partner,role\nc1@p.example,Partner P,guest_user\nc2@p.example,Partner P,guest_admin\nc3@x.example,Nowhere,\n');
    const result = await ws.cli(['invite', '--csv', file, '--json', '--as', 'ga@p.example']);
    expect(result.code).toBe(3);
    const rows = JSON.parse(result.stdout).results;
    expect(rows.map((r: { email: string; outcome: string }) => [r.email, r.outcome])).toEqual([
      ['c1@p.example', 'invited'],
      ['c2@p.example', 'failed'],
      ['c3@x.example', 'failed'],
    ]);
    expect(rows[1].reason).toMatch(/not permitted/);
    expect(rows[2].reason).toMatch(/no partner "Nowhere"/);
  });
});
