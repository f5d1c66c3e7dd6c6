import { type Element } from 'domhandler';
import * as DomUtils from 'domutils';
import { parseDocument } from 'htmlparser2';
import { renderInviteEmail, type InviteEmailInput } from '../src/email/render.js';
import { INVITE_INPUT } from './invite-input.js';
import { accountDetails } from '../src/join/invite.js';

/**
 * The invite email (issue 13), parsed with a real HTML parser (htmlparser2): a full document, a
 * card no wider than 600 px with the workspace as header, the temporary password larger than the
 * text and in monospace, a button and the same link as text, expiry in words and UTC, a footer,
 * escaping; and a text part wrapped at 78 columns that `join` can still read.
 */

const BASE = INVITE_INPUT;

const LINK = 'https://acme.cerby.example/guest/join?invite=tok123&username=ada%40partner.example';

function dom(input: Partial<InviteEmailInput> = {}) {
  const email = renderInviteEmail({ ...BASE, ...input });
  const doc = parseDocument(email.html);
  const all = (test: (e: Element) => boolean) => DomUtils.findAll(test, doc.children);
  const style = (e: Element) => e.attribs.style ?? '';
  const text = (e: Element) => DomUtils.textContent(e).replace(/\s+/g, ' ').trim();
  return { email, doc, all, style, text };
}

/** The px size in a `font:` shorthand or `font-size:` of a style attribute. */
function fontPx(style: string): number {
  const match = /font(?:-size)?:\s*(?:\d{3}\s+)?(\d+)px/.exec(style);
  if (!match) throw new Error(`no font size in "${style}"`);
  return Number(match[1]);
}

describe('HTML', () => {
  test('a whole document: lang, charset, viewport, colour schemes, the subject as title', () => {
    const { all, email } = dom();
    expect(email.html.startsWith('<!doctype html>')).toBe(true);
    expect(all((e) => e.name === 'html')[0]?.attribs.lang).toBe('en');
    const metas = all((e) => e.name === 'meta').map((m) => m.attribs);
    expect(metas).toEqual(
      expect.arrayContaining([
        { charset: 'utf-8' },
        { name: 'viewport', content: 'width=device-width, initial-scale=1' },
        { name: 'color-scheme', content: 'light dark' },
      ]),
    );
    expect(DomUtils.textContent(all((e) => e.name === 'title')[0]!)).toBe(email.subject);
    // Dark mode: a media query for clients that honour it.
    expect(DomUtils.textContent(all((e) => e.name === 'style')[0]!)).toContain('@media (prefers-color-scheme: dark)');
  });

  test('dark mode reaches every text: each element that sets a dark text colour has a class the dark styles recolour', () => {
    const { all, style } = dom();
    const css = DomUtils.textContent(all((e) => e.name === 'style')[0]!);
    const dark = css.slice(css.indexOf('prefers-color-scheme: dark'));
    const coloured = all((e) => /(^|; )color: #(1f2328|59636e|4b2bd6)/.test(style(e)));
    expect(coloured.length).toBeGreaterThan(10);
    for (const e of coloured) {
      const name = e.attribs.class ?? '(no class)';
      expect([DomUtils.textContent(e).trim().slice(0, 30), dark.includes(`.${name} {`)]).toEqual([DomUtils.textContent(e).trim().slice(0, 30), true]);
    }
  });

  test('a hidden preheader, then a card at most 600 px wide headed by the workspace', () => {
    const { all, style, text } = dom();
    const body = all((e) => e.name === 'body')[0]!;
    const first = DomUtils.getChildren(body).find((n): n is Element => DomUtils.isTag(n))!;
    expect(style(first)).toMatch(/display: none/);
    expect(text(first)).toBe('Your account details for Acme: join before 2026-11-30 14:05 UTC.');
    const card = all((e) => e.attribs.class === 'card')[0]!;
    expect(style(card)).toContain('max-width: 600px');
    // No fixed width above 600 anywhere: it must fit a 390 px phone.
    for (const e of all((x) => /width: \d+px/.test(style(x)))) expect(Number(/width: (\d+)px/.exec(style(e))![1])).toBeLessThanOrEqual(600);
    const header = DomUtils.findOne((e) => e.name === 'td', card.children)!;
    expect(text(header)).toBe('Acme');
  });

  test('the temporary password: larger than the text, monospace, easy to select', () => {
    const { all, style } = dom();
    const secret = all((e) => e.attribs.class === 'secret')[0]!;
    expect(DomUtils.textContent(secret)).toBe(BASE.tempPassword);
    expect(style(secret)).toMatch(/monospace/);
    expect(style(secret)).toContain('user-select: all');
    const body = all((e) => e.name === 'td' && DomUtils.textContent(e).trim().startsWith('Hello Ada'))[0]!;
    expect(fontPx(style(secret))).toBeGreaterThan(fontPx(style(body)));
    // Nothing else in the email is larger, but the header.
    const sizes = all((e) => /font/.test(style(e)) && e !== secret && e.attribs.class !== undefined).map((e) => fontPx(style(e)));
    expect(Math.max(...sizes)).toBeLessThanOrEqual(fontPx(style(secret)));
  });

  test('a button to the join link, and the same link as text under it', () => {
    const { all, text } = dom();
    const anchors = all((e) => e.name === 'a');
    expect(anchors.map((a) => a.attribs.href)).toEqual([LINK, LINK]);
    expect(text(anchors[0]!)).toBe('Join as a guest');
    // The button is a table cell with its own background: it shows without images or CSS support.
    expect(anchors[0]!.parent && (anchors[0]!.parent as Element).attribs.bgcolor).toBe('#4b2bd6');
    expect(text(anchors[1]!)).toBe(LINK);
    expect(text(anchors[1]!.parent as Element)).toContain('Button not working? Paste this link into your browser:');
  });

  test('the waiting-page warning, expiry in words and UTC, the footer', () => {
    const { text, doc } = dom();
    const all = text(doc as unknown as Element);
    expect(all).toContain('click Log in as a guest user right away');
    expect(all).toContain('This invitation expires in 7 days, on Monday 30 November 2026 at 14:05 UTC.');
    expect(all).toContain(
      'You received this email because owner@acme.example invited ada@partner.example to Acme on Cerby. Not expecting it? You can ignore this email; the invite expires on Monday 30 November 2026 at 14:05 UTC.',
    );
    expect(all).toContain('Message from owner@acme.example: Welcome aboard');
  });

  test("the inviter's name when known", () => {
    const { email } = dom({ inviterName: 'Olivia Owner' });
    expect(email.subject).toBe('Olivia Owner invited you to join Acme on Cerby');
    expect(email.text).toContain('Olivia Owner (owner@acme.example) invited you to join the Acme workspace');
  });

  test('hostile workspace names and messages are text, never markup', () => {
    const hostile = { workspaceName: '<script>alert(1)</script> & "Co"', customMessage: '<img src=x onerror=alert(1)>\n"quoted" & \'single\'', guestName: '<b>Eve</b>' };
    const { all, text, doc } = dom(hostile);
    expect(all((e) => ['script', 'img', 'b'].includes(e.name))).toEqual([]);
    const words = text(doc as unknown as Element);
    expect(words).toContain('<script>alert(1)</script> & "Co"');
    expect(words).toContain('<img src=x onerror=alert(1)>');
    expect(words).toContain('Hello <b>Eve</b>,');
    // Attribute values too: the title is the subject, as text.
    expect(DomUtils.textContent(all((e) => e.name === 'title')[0]!)).toContain('<script>alert(1)</script> & "Co"');
  });
});

describe('text', () => {
  const long = {
    workspaceName: 'The Very Long Workspace Name Of A Company That Likes Words',
    customMessage: `${'Welcome to the project: we are glad to have you with us for the launch. '.repeat(4)}\n\nSee you soon.`,
  };

  test('every line at most 78 characters, except the link line, which is whole', () => {
    for (const input of [{}, long]) {
      const { text } = renderInviteEmail({ ...BASE, ...input });
      for (const line of text.split('\n')) {
        if (line.startsWith('Join as a guest: ')) expect(line).toBe(`Join as a guest: ${LINK}`);
        else if (!line.startsWith('  Workspace name:')) expect([line, line.length <= 78]).toEqual([line, true]);
      }
    }
  });

  test('wrapped sentences are whole: joined again, they read as written', () => {
    const { text } = renderInviteEmail({ ...BASE, ...long });
    const paragraphs = text.split('\n\n').map((p) => p.replace(/\n> ?/g, ' ').replace(/\n/g, ' '));
    expect(paragraphs).toContain(
      'After opening the link, click "Log in as a guest user" right away: after a few seconds the page redirects to your workspace\'s identity provider, where you cannot set up your account.',
    );
    expect(paragraphs.join(' ')).toContain(long.customMessage.split('\n')[0]!.trim());
    expect(text).toContain('This invitation expires in 7 days, on Monday 30 November 2026 at 14:05 UTC.');
    expect(text).toContain('\n-- \nYou received this email because');
  });

  test('join reads the four account details from it, long names and messages too', () => {
    for (const input of [{}, long] as Partial<InviteEmailInput>[]) {
      const email = renderInviteEmail({ ...BASE, ...input });
      expect(Object.fromEntries(accountDetails(email.text))).toEqual({
        'Workspace name': input.workspaceName ?? 'Acme',
        Username: 'ada@partner.example',
        'Temporary password': BASE.tempPassword,
        'Join as a guest': LINK,
      });
    }
  });

  test('without a send time the expiry is still in words and UTC', () => {
    const { text } = renderInviteEmail({ ...BASE, now: undefined });
    expect(text).toContain('This invitation expires on Monday 30 November 2026 at 14:05 UTC.');
  });
});
