import { DAY, workspace } from './helpers.js';

const FIELDS = ['email', 'name', 'familyName', 'status', 'partner', 'partnerRole', 'invitedBy', 'invitedAt', 'lastSentAt', 'sendCount', 'expiresAt', 'joinedAt', 'delivery'];

async function seeded() {
  const ws = await workspace();
  await ws.cli(['invite', 'ada@partner.example', '--name', 'Ada', '--family-name', 'Lovelace']);
  ws.clock.advance(DAY);
  await ws.cli(['invite', 'bob@partner.example', '--name', '=HYPERLINK("http://evil.example","x")']);
  await ws.cli(['invite', 'cy@other.example', '--name', '+cmd|calc', '--family-name', '@SUM(1)']);
  await ws.cli(['revoke', 'cy@other.example']);
  return ws;
}

describe('list', () => {
  test('--json prints an array of objects with the SPEC §5 fields', async () => {
    const { cli, clock } = await seeded();
    const result = await cli(['list', '--json']);
    expect(result.code).toBe(0);
    const rows = JSON.parse(result.stdout);
    expect(rows).toHaveLength(3);
    for (const row of rows) expect(Object.keys(row).sort()).toEqual([...FIELDS].sort());
    expect(rows[0]).toMatchObject({
      email: 'ada@partner.example',
      name: 'Ada',
      familyName: 'Lovelace',
      status: 'pending',
      invitedBy: 'owner@acme.example',
      sendCount: 1,
      delivery: 'sent',
      joinedAt: null,
    });
    expect(rows[2].status).toBe('revoked');
    expect(rows[1].invitedAt).toBe(clock.current.toISOString());
  });

  test('--status and --search filter', async () => {
    const { cli, clock } = await seeded();
    const emails = async (...args: string[]) => JSON.parse((await cli(['list', '--json', ...args])).stdout).map((r: { email: string }) => r.email);
    expect(await emails('--status', 'revoked')).toEqual(['cy@other.example']);
    expect(await emails('--status', 'pending')).toEqual(['ada@partner.example', 'bob@partner.example']);
    expect(await emails('--search', 'lovelace')).toEqual(['ada@partner.example']);
    expect(await emails('--search', '%')).toEqual([]);
    clock.advance(6.5 * DAY);
    expect(await emails('--status', 'expired')).toEqual(['ada@partner.example']);
    const bad = await cli(['list', '--status', 'gone']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--status <status>' argument 'gone' is invalid\. use one of pending, joined, expired, revoked/);
  });

  test('piped: tab-separated, one line per guest, no header, no color', async () => {
    const { cli } = await seeded();
    const result = await cli(['list'], { env: { FORCE_COLOR: undefined } });
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]!.split('\t')).toHaveLength(FIELDS.length);
    expect(lines[0]!.split('\t')[0]).toBe('ada@partner.example');
    expect(result.stdout).not.toContain('\u001b[');
  });

  test('on a terminal: a table with headers', async () => {
    const { cli } = await seeded();
    const result = await cli(['list'], { stdoutIsTTY: true, columns: 120 });
    expect(result.stdout.split('\n')[0]).toMatch(/EMAIL.*STATUS.*DELIVERY/);
    expect(result.stdout).toContain('ada@partner.example');
    expect(result.stdout).not.toContain('\t');
    const plain = await cli(['list', '--no-color'], { stdoutIsTTY: true, env: { FORCE_COLOR: '1' } });
    expect(plain.stdout).not.toContain('\u001b[');
    const colored = await cli(['list'], { stdoutIsTTY: true, env: { FORCE_COLOR: '1' } });
    expect(colored.stdout).toContain('\u001b[1m');
    const noColor = await cli(['list'], { stdoutIsTTY: true, env: { NO_COLOR: '1' } });
    expect(noColor.stdout).not.toContain('\u001b[');
  });

  test('--csv neutralises formulas so a spreadsheet shows text', async () => {
    const { cli } = await seeded();
    const result = await cli(['list', '--csv']);
    const lines = result.stdout.split('\r\n');
    expect(lines[0]).toBe(FIELDS.join(','));
    expect(result.stdout).toContain(`"'=HYPERLINK(""http://evil.example"",""x"")"`);
    expect(result.stdout).toContain(`,'+cmd|calc,'@SUM(1),`);
    for (const line of lines.slice(1)) expect(line).not.toMatch(/(^|,)[=+\-@]/);
  });
});

describe('show', () => {
  test('one guest with emails and history', async () => {
    const { cli } = await seeded();
    await cli(['resend', 'ada@partner.example']);
    const result = await cli(['show', 'ADA@partner.example', '--json']);
    expect(result.code).toBe(0);
    const details = JSON.parse(result.stdout);
    expect(details).toMatchObject({ email: 'ada@partner.example', sendCount: 2, invitedVia: 'members' });
    expect(details.messages.map((m: { sendNumber: number }) => m.sendNumber)).toEqual([1, 2]);
    expect(details.history.map((h: { action: string }) => h.action)).toEqual(['invite', 'resend']);
    const text = await cli(['show', 'ada@partner.example']);
    expect(text.stdout).toMatch(/status\s+pending/);
    expect(text.stdout).toMatch(/resend\s+by owner@acme\.example/);
    const missing = await cli(['show', 'nobody@partner.example']);
    expect(missing.code).toBe(2);
  });
});
