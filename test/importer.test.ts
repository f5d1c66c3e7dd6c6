import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openStore } from '../src/store/store.js';
import { startSmtp, workspace, type TestSmtp } from './helpers.js';

const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'lastpass');
const f = (name: string) => path.join(FIXTURES, name);
const SECRETS = ['S3cr3t-Pa55word!', 'JBSWY3DPEHPK3PXP', 'hunter2-office', 'Recovery codes', 'Ads-P4ss-xyz', 'Crm-P4ss-123', 'Door code'];

let smtp: TestSmtp;
beforeEach(async () => {
  smtp = await startSmtp();
});
afterEach(async () => {
  await smtp.close();
});

describe('Password Manager Importer', () => {
  test('a complete export with permissions succeeds; secrets are never stored or printed; external users are guest candidates', async () => {
    const { cli, db } = await workspace({ smtp: smtp.url });
    const result = await cli(['import', 'lastpass', f('export.csv'), '--permissions', f('permissions.csv'), '--json']);
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report).toMatchObject({ id: 1, status: 'succeeded', items: 4, permissions: 5, errors: [] });
    expect(report.guestCandidates).toEqual(['lead@agency.example', 'writer@agency.example', 'ops@contractor.example']);
    const text = await cli(['import', 'show', '1']);
    for (const secret of SECRETS) {
      expect(result.stdout + result.stderr + text.stdout).not.toContain(secret);
      for (const file of [db, `${db}-wal`]) if (fs.existsSync(file)) expect([file, fs.readFileSync(file).includes(secret)]).toEqual([file, false]);
    }
  });

  test('invite --from-import invites the candidates and records their access to the imported items', async () => {
    const { cli, db } = await workspace({ smtp: smtp.url });
    await cli(['import', 'lastpass', f('export.csv'), '--permissions', f('permissions.csv')]);
    const result = await cli(['invite', '--from-import', '1', '--json']);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout).results.map((r: { email: string; outcome: string }) => [r.email, r.outcome])).toEqual([
      ['lead@agency.example', 'invited'],
      ['writer@agency.example', 'invited'],
      ['ops@contractor.example', 'invited'],
    ]);
    expect(smtp.messages.map((m) => m.to[0]).sort()).toEqual(['lead@agency.example', 'ops@contractor.example', 'writer@agency.example']);
    const guests = JSON.parse((await cli(['list', '--json'])).stdout);
    expect(guests.every((g: { status: string }) => g.status === 'pending')).toBe(true);
    const accounts = JSON.parse((await cli(['accounts', 'list', '--json'])).stdout);
    const shares = Object.fromEntries(accounts.map((a: { name: string; shares: { to: string; role: string }[] }) => [a.name, a.shares.map((s) => `${s.to}:${s.role}`)]));
    expect(shares).toEqual({
      'Acme Ads': ['lead@agency.example:manager', 'writer@agency.example:user'],
      'Acme on Social': ['lead@agency.example:manager', 'writer@agency.example:user'],
      CRM: ['ops@contractor.example:user'],
      'Office notes': ['ops@contractor.example:user'],
    });
    // Access is effective once they join: a pending guest cannot act yet.
    expect((await cli(['accounts', 'list', '--as', 'lead@agency.example'])).code).toBe(4);
    const store = openStore(db, { create: false });
    expect((await store.guests.find('lead@agency.example'))!.invitedVia).toBe('importer');
    await store.close();
    // Running it again sends nothing new.
    const again = await cli(['invite', '--from-import', '1', '--json']);
    expect(JSON.parse(again.stdout).counts).toEqual({ skipped: 3 });
    expect(smtp.messages).toHaveLength(3);
  });

  test('bad permission rows fail the migration with each line and reason, and guests cannot be invited from it', async () => {
    const { cli } = await workspace({ smtp: smtp.url });
    const result = await cli(['import', 'lastpass', f('export.csv'), '--permissions', f('bad-permissions.csv'), '--json']);
    expect(result.code).toBe(2);
    const report = JSON.parse(result.stdout);
    expect(report.status).toBe('failed');
    expect(report.errors.map((e: { line: number; reason: string }) => [e.line, e.reason])).toEqual([
      [3, 'invalid email address: it is not a valid email address'],
      [4, 'no item in the export is in the folder "Shared-Nowhere"'],
      [5, 'unknown permission "superuser": use read_only, hide_passwords or admin'],
    ]);
    const invite = await cli(['invite', '--from-import', String(report.id)]);
    expect(invite.code).toBe(2);
    expect(invite.stderr).toMatch(/guest invites can only be sent after a successful migration of items and user access permissions/);
    expect(smtp.messages).toHaveLength(0);
    expect(JSON.parse((await cli(['list', '--json'])).stdout)).toEqual([]);
  });

  test('bad item rows, or no permissions file, fail the migration too', async () => {
    const { cli } = await workspace({ smtp: smtp.url });
    const bad = JSON.parse((await cli(['import', 'lastpass', f('bad-export.csv'), '--permissions', f('permissions.csv'), '--json'])).stdout);
    expect(bad.status).toBe('failed');
    expect(bad.errors.filter((e: { file: string }) => e.file.endsWith('bad-export.csv')).map((e: { line: number }) => e.line)).toEqual([3, 4]);
    const noPermissions = JSON.parse((await cli(['import', 'lastpass', f('export.csv'), '--json'])).stdout);
    expect(noPermissions.status).toBe('failed');
    expect(noPermissions.errors[0].reason).toMatch(/no user access permissions/);
    const list = JSON.parse((await cli(['import', 'list', '--json'])).stdout);
    expect(list.map((i: { id: number; status: string }) => [i.id, i.status])).toEqual([
      [1, 'failed'],
      [2, 'failed'],
    ]);
    expect((await cli(['invite', '--from-import', '2'])).code).toBe(2);
    expect((await cli(['invite', '--from-import', '99'])).stderr).toMatch(/no import #99/);
  });

  test('workspace domains decide who is external', async () => {
    const { cli } = await workspace({ smtp: smtp.url });
    expect((await cli(['workspace', 'domains', 'add', 'agency.example'])).code).toBe(0);
    expect(JSON.parse((await cli(['workspace', 'domains', '--json'])).stdout)).toEqual(['acme.example', 'agency.example']);
    const report = JSON.parse((await cli(['import', 'lastpass', f('export.csv'), '--permissions', f('permissions.csv'), '--json'])).stdout);
    expect(report.guestCandidates).toEqual(['ops@contractor.example']);
  });
});
