import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { simpleParser, type AddressObject } from 'mailparser';
import MailComposer from 'nodemailer/lib/mail-composer';
import { renderInviteEmail, type InviteEmailInput, type RenderedEmail } from '../src/email/render.js';
import { INVITE_INPUT } from './invite-input.js';
import { openInviteEmail } from '../src/join/invite.js';
import { composeInvite } from '../src/mail/mime.js';

/**
 * The invite message as the SMTP mailer composes it (`composeInvite`), read back by a real MIME
 * parser (mailparser, what `join --email-file` uses) against nodemailer's own composition of
 * the same email: every field and both parts decode to the same values, for plain input and
 * for what a workspace, an inviter or a guest may be called.
 */

const BASE = INVITE_INPUT;

const CASES: [string, Partial<InviteEmailInput>][] = [
  ['plain', {}],
  ['no name, no message', { guestName: null, customMessage: null }],
  ['quotes, brackets and a backslash in names', { workspaceName: 'Acme "Ops" <EU> \\ Co', inviterName: 'O\'Neil, "Boss"', guestName: '<b>Eve</b>' }],
  ['non-Latin workspace and message', { workspaceName: 'Équipe Zürich 東京', customMessage: '你好，欢迎加入我们的团队。\n\n第二段：请尽快设置密码。'.repeat(4) }],
  ['emoji and combining marks', { workspaceName: 'Team 🚀', guestName: 'Zoë Ås', customMessage: 'e\u0301 — “curly” ✓ 🎉' }],
  ['a long subject that folds', { workspaceName: 'The Extraordinarily Long Named Workspace Of The International Partners Programme' }],
  ['trailing spaces, tabs and lines of dots', { customMessage: 'line with trailing space \nsecond\tline\t\n.\n..\n.leading dot' }],
  ['a word longer than a line', { customMessage: 'x'.repeat(300) }],
  ['international recipient', { recipient: 'ana@bücher.example' }],
  ['an upper-case domain', { recipient: 'Ada.L@Partner.Example' }],
  ['a recipient too long for the To line', { recipient: `${'a'.repeat(42)}@partner-with-a-long-name.example` }],
  ['a local part of symbols', { recipient: "o'neil+x=y!#$%&*/?^_`{|}~-@partner.example" }],
];

function rendered(input: Partial<InviteEmailInput>): RenderedEmail {
  return renderInviteEmail({ ...BASE, ...input });
}

async function nodemailerBytes(email: RenderedEmail): Promise<Buffer> {
  const { from, to, replyTo, subject, messageId, headers, text, html } = email;
  return new MailComposer({ from, to, replyTo, subject, messageId, headers, text, html }).compile().build();
}

function addresses(field: AddressObject | AddressObject[] | undefined) {
  return [field ?? []].flat().flatMap((a) => a.value.map((v) => ({ name: v.name, address: v.address })));
}

async function decoded(raw: Buffer) {
  const mail = await simpleParser(raw);
  return {
    from: addresses(mail.from),
    to: addresses(mail.to),
    replyTo: addresses(mail.replyTo),
    subject: mail.subject,
    messageId: mail.messageId,
    autoSubmitted: mail.headers.get('auto-submitted'),
    text: mail.text,
    html: mail.html,
  };
}

describe.each(CASES)('composeInvite: %s', (_name, input) => {
  const email = rendered(input);
  const raw = composeInvite(email);

  test('decodes to what nodemailer composes for the same email: every field, both parts', async () => {
    const ours = await decoded(raw);
    expect(ours).toEqual(await decoded(await nodemailerBytes(email)));
    // And to the email itself, not only to the same thing as nodemailer.
    expect(ours.subject).toBe(email.subject);
    expect(ours.from).toEqual([{ name: email.from.name, address: email.from.address }]);
    expect(ours.text?.replace(/\r\n/g, '\n').trimEnd()).toBe(email.text.trimEnd());
    expect(ours.html).toBe(email.html);
  });

  test('is 7-bit, with CRLF line ends and no line over 78 characters', () => {
    const text = raw.toString('latin1');
    const outside = [...raw].filter((byte) => !(byte === 9 || byte === 10 || byte === 13 || (byte >= 32 && byte <= 126)));
    expect(outside).toEqual([]);
    expect(text.replace(/\r\n/g, '')).not.toMatch(/[\r\n]/);
    for (const line of text.split('\r\n')) expect(line.length).toBeLessThanOrEqual(78);
    expect(text.endsWith('--\r\n')).toBe(true);
  });
});

test('composeInvite: the guests of one run share its sender, inviter and subject fields, each with its own To, Message-ID and Date', async () => {
  const emails = ['bo@partner.example', 'cy@partner.example', 'ana@bücher.example', 'dee@partner.example'].map((recipient, i) =>
    rendered({ recipient, messageId: `<m${i}@acme.example>`, workspaceName: 'Équipe 🚀 "Ops"' }),
  );
  for (const email of emails) {
    const raw = composeInvite(email);
    const mail = await decoded(raw);
    expect(mail).toEqual(await decoded(await nodemailerBytes(email)));
    expect(mail.messageId).toBe(email.messageId);
    expect(raw.toString('latin1').match(/^(To|Message-ID|Date|From|Subject|Reply-To|Auto-Submitted):/gim)?.sort()).toEqual(
      ['Auto-Submitted:', 'Date:', 'From:', 'Message-ID:', 'Reply-To:', 'Subject:', 'To:'],
    );
  }
});

test('composeInvite: each message has its own boundary, which no quoted-printable body can contain', () => {
  const email = rendered({});
  const boundaries = new Set<string>();
  for (let i = 0; i < 600; i++) {
    const match = /boundary="([^"]+)"/.exec(composeInvite(email).toString('latin1'));
    boundaries.add(match![1]!);
  }
  expect(boundaries.size).toBe(600);
  // "=_" never stands unencoded in quoted-printable ("=" is always followed by hex or a line end).
  for (const boundary of boundaries) expect(boundary).toMatch(/^=_cerby_[0-9a-f]{24}$/);
});

test('composeInvite: a message whose text quotes a boundary still parses into its two parts', async () => {
  const email = rendered({ customMessage: '--=_cerby_000000000000000000000000\n--=_cerby_ pretend\n--=_cerby_000000000000000000000000--' });
  const mail = await simpleParser(composeInvite(email));
  expect(mail.text).toContain('--=_cerby_000000000000000000000000');
  expect(mail.html).toBe(email.html);
});

test('composeInvite: join --email-file reads the account details from the composed message', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cg-mime-'));
  try {
    const file = path.join(dir, 'invite.eml');
    fs.writeFileSync(file, composeInvite(rendered({ workspaceName: 'Équipe 🚀' })));
    const opened = await openInviteEmail(file);
    expect(opened).toMatchObject({ workspaceName: 'Équipe 🚀', username: BASE.recipient, tempPassword: BASE.tempPassword });
    expect(opened.link).toBe('https://acme.cerby.example/guest/join?invite=tok123&username=ada%40partner.example');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
