import { newCmdList } from '../../src/commands/list/command.js';
import type { ListOptions } from '../../src/commands/list/run.js';
import { newCmdMembers } from '../../src/commands/members/command.js';
import { newCmdShare } from '../../src/commands/share/command.js';
import type { ShareOptions } from '../../src/commands/share/run.js';
import { ok } from '../../src/result.js';
import { parsingFactory } from '../helpers.js';
import { fastWorkspace, TERMINALS } from './harness.js';

/** The fast layer for the admin commands: flags → typed options, options → output on a terminal and piped. */


describe('flags become typed options', () => {
  test('list, members add, share', () => {
    const f = parsingFactory();
    const seen: unknown[] = [];
    newCmdList(f, (opts: ListOptions) => (seen.push(opts), Promise.resolve(ok((async function* () {})())))).parse(['--status', 'pending', '--search', 'ada', '--partner', 'P', '--setup', 'complete'], { from: 'user' });
    newCmdMembers(f, { add: (opts) => (seen.push(opts), Promise.resolve(ok({ email: opts.email, role: 'admin' as const, change: 'added' as const }))) }).parse(['add', 'm@acme.example', '--role', 'admin'], { from: 'user' });
    newCmdShare(f, (opts: ShareOptions) => (seen.push(opts), Promise.resolve(ok({ account: 'A', to: 'x', role: 'manager' as const, change: 'added' as const, effective: true })))).parse(
      ['Acme Social', '--guest', 'g@p.example', '--role', 'manager'],
      { from: 'user' },
    );
    expect(seen).toEqual([
      { statuses: ['pending'], search: 'ada', partner: 'P', setup: 'complete', sort: 'invited', descending: false, limit: undefined },
      { email: 'm@acme.example', role: 'admin' },
      { account: 'Acme Social', partner: undefined, guest: 'g@p.example', role: 'manager' },
    ]);
  });

  test('share --role takes manager or user only', () => {
    const command = newCmdShare(parsingFactory()).exitOverride().configureOutput({ writeErr: () => {} });
    expect(() => command.parse(['A', '--guest', 'g@p.example', '--role', 'owner'], { from: 'user' })).toThrow(/use one of manager, user/);
  });
});

describe.each(TERMINALS)('options → output, %s', (_label, tty) => {
  test('members: add says what changed; list is a table on a terminal, TSV piped', async () => {
    const { cli } = await fastWorkspace({ tty });
    expect((await cli(['members', 'add', 'admin@acme.example', '--role', 'admin'])).stderr).toBe('✓ Added admin@acme.example as admin\n');
    expect((await cli(['members', 'add', 'admin@acme.example', '--role', 'admin'])).stderr).toBe('admin@acme.example is already admin; nothing changed\n');
    const list = await cli(['members', 'list']);
    if (tty) expect(list.stdout).toMatch(/^EMAIL\s+ROLE\s+ADDED BY\s+SINCE\s*\nowner@acme\.example\s+owner\s+/);
    else expect(list.stdout.split('\n')[1]!.split('\t').slice(0, 3)).toEqual(['admin@acme.example', 'admin', 'owner@acme.example']);
  });

  test('list: the columns that fit a terminal; every column piped; an empty list says so on a terminal', async () => {
    const { cli } = await fastWorkspace({ tty });
    const empty = await cli(['list']);
    expect([empty.stdout, empty.stderr]).toEqual(tty ? ['', 'no guests yet: invite one with `cerby-guests --db fast.db --smtp smtp://fake.invalid:587 invite EMAIL`\n'] : ['', '']);
    await cli(['invite', 'ada@partner.example', '--name', 'Ada']);
    const list = await cli(['list']);
    if (tty) expect(list.stdout).toMatch(/^EMAIL\s+NAME\s+STATUS\s+PARTNER\s+INVITED\s+EXPIRES\s+DELIVERY\n(?!.*\n.)ada@partner\.example\s+Ada\s+pending\s+just now\s+in 1 week\s+sent\n$/);
    else expect(list.stdout.split('\t').slice(0, 4)).toEqual(['ada@partner.example', 'Ada', '', 'pending']);
    const json = JSON.parse((await cli(['list', '--json'])).stdout);
    expect(json).toEqual([expect.objectContaining({ email: 'ada@partner.example', status: 'pending', delivery: 'sent' })]);
  });

  test('show: one record and its history on stdout; --json the same data', async () => {
    const { cli } = await fastWorkspace({ tty });
    await cli(['invite', 'ada@partner.example']);
    const show = await cli(['show', 'ada@partner.example']);
    expect(show.stdout).toMatch(/^email\s+ada@partner\.example\nname\s+\nstatus\s+pending\n/);
    // Times as a person reads them on a terminal, ISO-8601 for a script.
    const at = tty ? 'just now' : '2026-11-23T10:00:00\\.000Z';
    expect(show.stdout).toMatch(new RegExp(`\\nhistory:\\n {2}${at} {2}invite +by owner@acme\\.example`));
    expect(show.stdout).toMatch(new RegExp(`\\nexpires +${tty ? 'in 1 week' : '2026-11-30T10:00:00\\.000Z'}\\n`));
    expect(JSON.parse((await cli(['show', 'ada@partner.example', '--json'])).stdout)).toMatchObject({ email: 'ada@partner.example', history: [{ action: 'invite' }] });
  });

  test('partners and accounts: create, share, list; unlock of a guest who is not locked', async () => {
    const { cli } = await fastWorkspace({ tty });
    expect((await cli(['partners', 'create', 'Northwind'])).stderr).toBe('✓ Created partner Northwind; Host Admin: owner@acme.example\n');
    expect((await cli(['accounts', 'add', 'Acme Social', '--url', 'https://social.example/acme'])).stderr).toBe('✓ Added account Acme Social\n');
    expect((await cli(['share', 'Acme Social', '--partner', 'Northwind'])).stderr).toBe('✓ Shared Acme Social with partner Northwind as user\n');
    const partners = await cli(['partners', 'list']);
    if (tty) expect(partners.stdout).toMatch(/^NAME\s+HOST ADMINS\s+GUESTS\s+ACCOUNTS\s+CREATED BY\s*\nNorthwind\s+1\s+0\s+1\s+owner@acme\.example/);
    else expect(partners.stdout.split('\t').slice(0, 5)).toEqual(['Northwind', '1', '0', '1', 'owner@acme.example\n']);
    await cli(['invite', 'ada@partner.example']);
    expect((await cli(['unlock', 'ada@partner.example'])).stderr).toBe('ada@partner.example was not locked\n');
  });

  test('workspace policy: shown on stdout; a change needs MFA below 15 characters', async () => {
    const { cli } = await fastWorkspace({ tty });
    expect((await cli(['workspace', 'policy'])).stdout).toBe('password minimum length: 15\nMFA required: yes\n');
    expect((await cli(['workspace', 'policy', '--password-min-length', '10'])).stdout).toBe('password minimum length: 10\nMFA required: yes\n');
    const refused = await cli(['workspace', 'policy', '--mfa-required', 'no']);
    expect([refused.code, refused.stderr]).toEqual([2, 'cerby-guests: a minimum below 15 characters needs MFA required (NIST SP 800-63B rev. 4)\n']);
  });
});
