import { startSmtp, workspace } from './helpers.js';

describe('who may do what (SPEC §6)', () => {
  test.each(['super_admin', 'admin', 'user'])('a %s may invite', async (role) => {
    const { cli } = await workspace();
    expect((await cli(['members', 'add', `${role}@acme.example`, '--role', role])).code).toBe(0);
    const result = await cli(['invite', 'guest@partner.example', '--as', `${role}@acme.example`, '--json']);
    expect(result.code).toBe(0);
    const [row] = JSON.parse((await cli(['list', '--json'])).stdout);
    expect(row.invitedBy).toBe(`${role}@acme.example`);
  });

  test.each([
    ['an unknown actor', 'stranger@else.example', /stranger@else\.example is not a member of this workspace/],
    ["a guest", "guest@partner.example", /guest@partner\.example is a guest who has not joined yet/],
  ])('%s may not invite: exit 4, nothing changes', async (_who, actor, message) => {
    const smtp = await startSmtp();
    try {
      const { cli } = await workspace({ smtp: smtp.url });
      await cli(['invite', 'guest@partner.example']);
      const result = await cli(['invite', 'other@partner.example', '--as', actor]);
      expect(result.code).toBe(4);
      expect(result.stderr).toMatch(message);
      expect(result.stderr).toMatch(/you need the role owner, super_admin, admin or user/);
      expect(smtp.messages).toHaveLength(1);
      expect(JSON.parse((await cli(['list', '--json'])).stdout)).toHaveLength(1);
      for (const argv of [['resend', 'guest@partner.example'], ['revoke', 'guest@partner.example'], ['list']]) {
        expect((await cli([...argv, '--as', actor])).code).toBe(4);
      }
      expect(JSON.parse((await cli(['list', '--json'])).stdout)[0]).toMatchObject({ status: 'pending', sendCount: 1 });
    } finally {
      await smtp.close();
    }
  });

  test('CERBY_GUESTS_ACTOR picks the actor', async () => {
    const { cli } = await workspace();
    const result = await cli(['invite', 'guest@partner.example'], { env: { CERBY_GUESTS_ACTOR: 'stranger@else.example' } });
    expect(result.code).toBe(4);
  });

  test('members: a user may not add members; an admin may not grant owner; roles are validated', async () => {
    const { cli } = await workspace();
    await cli(['members', 'add', 'admin@acme.example', '--role', 'admin']);
    await cli(['members', 'add', 'user@acme.example', '--role', 'user']);
    expect((await cli(['members', 'add', 'x@acme.example', '--role', 'user', '--as', 'user@acme.example'])).code).toBe(4);
    const grant = await cli(['members', 'add', 'x@acme.example', '--role', 'owner', '--as', 'admin@acme.example']);
    expect(grant.code).toBe(4);
    expect(grant.stderr).toMatch(/may not grant the higher role owner/);
    const unknown = await cli(['members', 'add', 'x@acme.example', '--role', 'wizard']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown role "wizard"/);
    expect((await cli(['members', 'add', 'x@acme.example', '--role', 'user', '--as', 'admin@acme.example'])).code).toBe(0);
    const members = JSON.parse((await cli(['members', 'list', '--json'])).stdout);
    expect(members.map((m: { email: string; role: string }) => `${m.email}:${m.role}`)).toEqual([
      'owner@acme.example:owner',
      'admin@acme.example:admin',
      'user@acme.example:user',
      'x@acme.example:user',
    ]);
  });
});
