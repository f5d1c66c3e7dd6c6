import { keyboard } from '../helpers.js';
import { fastWorkspace, type FastWorkspace } from './harness.js';

/**
 * The web app's dialogs on a terminal (issue 13): `resend` and `revoke` with no address open a
 * list to filter and pick from, then a confirmation that says what will happen; `invite` with no
 * address asks until it gets a valid one; `resend --all-pending` asks first (--yes skips). A
 * person answers through the injected terminal; scripts keep getting a usage error.
 */

async function seeded(): Promise<FastWorkspace> {
  const ws = await fastWorkspace({ tty: true });
  for (const email of ['ann@partner.example', 'bob@partner.example', 'cy@other.example']) expect((await ws.cli(['invite', email])).code).toBe(0);
  return ws;
}

/** Runs `argv` with a person typing `answers`; returns the result, what they saw, and what was left unanswered. */
async function dialog(ws: FastWorkspace, argv: string[], answers: Parameters<typeof keyboard>[0]) {
  const person = keyboard(answers);
  const result = await ws.cli(argv, { ...person.io });
  // Long questions wrap at the terminal's width: read the screen as one line.
  return { ...result, screen: person.screen().replace(/\n/g, ''), left: person.left() };
}

const sentTo = (ws: FastWorkspace) => ws.mailer.sent.map((m) => m.to);

describe('resend with no address', () => {
  test('type to filter, space to pick, enter; the confirmation says what happens; the success line follows', async () => {
    const ws = await seeded();
    const before = ws.mailer.sent.length;
    const run = await dialog(ws, ['resend'], [
      [/Resend the invite to/, 'ann'],
      [/1 of 3 shown/, ' '],
      [/1 picked/, '\r'],
      [/\(y\/\n?N\)/, 'y\r'],
    ]);
    expect([run.code, run.left]).toEqual([0, 0]);
    // The list showed every pending guest, with its status, before the filter.
    expect(run.screen).toMatch(/❯ ◯ ann@partner\.example {2}pending · expires in 1 week/);
    expect(run.screen).toContain('(3 of 3 shown, 0 picked · type to filter, space to pick, enter to confirm)');
    expect(run.screen).toContain('◯ cy@other.example');
    expect(run.screen).toContain('A new temporary password is sent to ann@partner.example; the old one stops working. Resend the invite?');
    expect(run.stderr).toContain('✓ New invite sent to ann@partner.example');
    expect(sentTo(ws).slice(before)).toEqual(['ann@partner.example']);
  });

  test('several picked, then "no": nothing is resent, and it says so (exit 0)', async () => {
    const ws = await seeded();
    const before = ws.mailer.sent.length;
    const run = await dialog(ws, ['resend'], [
      [/Resend the invite to/, ' '],
      [/1 picked/, '\u001b[B'],
      [/❯ ◯ bob/, ' '],
      [/2 picked/, '\r'],
      [/\(y\/\n?N\)/, 'n\r'],
    ]);
    expect([run.code, run.left]).toEqual([0, 0]);
    expect(run.screen).toContain('New temporary passwords are sent to 2 guests; their old ones stop working. Resend the invites?');
    expect(run.stderr).toContain('nothing resent');
    expect(ws.mailer.sent.length).toBe(before);
  });

  test('enter with nothing picked takes the highlighted guest; --yes skips the question', async () => {
    const ws = await seeded();
    const before = ws.mailer.sent.length;
    const run = await dialog(ws, ['resend', '--yes'], [
      [/Resend the invite to/, 'cy'],
      [/1 of 3 shown/, '\r'],
    ]);
    expect([run.code, run.left]).toEqual([0, 0]);
    expect(run.screen).not.toMatch(/\(y\/\n?N\)/);
    expect(sentTo(ws).slice(before)).toEqual(['cy@other.example']);
  });

  test('piped: a usage error naming what to give, nothing sent', async () => {
    const ws = await seeded();
    const result = await ws.cli(['resend'], { tty: false });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('give the addresses to resend to, or --all-pending (standard input is not a terminal, so there is no list to pick from)');
  });
});

describe('revoke with no address', () => {
  test('pick, then a confirmation naming the consequence', async () => {
    const ws = await seeded();
    const run = await dialog(ws, ['revoke'], [
      [/Revoke/, 'bob'],
      [/1 of 3 shown/, ' '],
      [/1 picked/, '\r'],
      [/\(y\/\n?N\)/, 'y\r'],
    ]);
    expect([run.code, run.left]).toEqual([0, 0]);
    expect(run.screen).toContain('The invite to bob@partner.example is cancelled: its temporary password stops working at once. Revoke?');
    expect(run.stderr).toContain('✓ Revoked the invite of bob@partner.example: its temporary password no longer works');
    expect((await ws.store.guests.find('bob@partner.example'))?.status).toBe('revoked');
  });

  test('piped: a usage error, nothing changed', async () => {
    const ws = await seeded();
    const result = await ws.cli(['revoke'], { tty: false });
    expect([result.code, result.stderr]).toEqual([2, expect.stringContaining('give the addresses to revoke')]);
    expect((await ws.store.guests.find('bob@partner.example'))?.status).toBe('pending');
  });
});

test('invite with no address asks for it, and again after an invalid one', async () => {
  const ws = await fastWorkspace({ tty: true });
  const run = await dialog(ws, ['invite'], [
    [/Email/, 'not-an-address\r'],
    [/not a valid email address|invalid/i, '\u0015dee@partner.example\r'],
  ]);
  expect([run.code, run.left]).toEqual([0, 0]);
  expect(run.stderr).toContain('✓ Invite sent to dee@partner.example');
  expect(sentTo(ws)).toEqual(['dee@partner.example']);
});

describe('resend --all-pending', () => {
  test('on a terminal: how many, then the question; "no" sends nothing', async () => {
    const ws = await seeded();
    const before = ws.mailer.sent.length;
    const run = await dialog(ws, ['resend', '--all-pending'], [[/\(y\/\n?N\)/, 'n\r']]);
    expect(run.screen).toContain('Resend the invite to all 3 pending guests?');
    expect([run.code, run.left]).toEqual([0, 0]);
    expect(run.screen).toContain('Each gets a new temporary password; the old ones stop working.');
    expect(ws.mailer.sent.length).toBe(before);
  });

  test('--yes, or a script: no question, every pending guest gets a new email', async () => {
    for (const argv of [['resend', '--all-pending', '--yes'], ['resend', '--all-pending']]) {
      const ws = await seeded();
      const before = ws.mailer.sent.length;
      const tty = argv.includes('--yes');
      const result = await ws.cli(argv, { tty });
      expect(result.code).toBe(0);
      expect(ws.mailer.sent.length - before).toBe(3);
    }
  });
});
