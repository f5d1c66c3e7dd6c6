/**
 * The invite email (SPEC §3): workspace name, username, temporary password, a "Join as a
 * guest" link, expiry, inviter and the custom message. Pure: no I/O, no clock (the time of
 * sending comes in as `now`).
 *
 * The HTML is table-based (what every mail client renders alike): a card at most 600 px wide
 * with the workspace as its header, the temporary password large and in monospace, a
 * bulletproof button with the link again as text under it, and a footer saying why the guest
 * got it. The text part carries the same words, wrapped at 78 columns; its `Label: value`
 * lines are what `join --email-file` reads, so they stay one line each.
 */
export interface InviteEmailInput {
  workspaceName: string;
  signInUrl: string;
  sender: string;
  recipient: string;
  guestName: string | null;
  tempPassword: string;
  inviter: string;
  /** The inviter's name, when known: shown as "Name (address)". */
  inviterName?: string | null;
  customMessage: string | null;
  expiresAt: string;
  /** When the email is made: the expiry is also said as "in 7 days". */
  now?: string;
  messageId: string;
  /** Identifies this invite in the join link; carries no secret. */
  inviteToken: string;
}

export interface RenderedEmail {
  /** Display name and address kept apart: the mail library quotes and encodes the name. */
  from: { name: string; address: string };
  to: string;
  subject: string;
  text: string;
  html: string;
  messageId: string;
  /** Replies reach the person who invited them, not a no-reply box. */
  replyTo: string;
  /** RFC 3834: an automatic message, so auto-responders leave it alone. */
  headers: { 'Auto-Submitted': 'auto-generated' };
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);
}

export function joinUrl(signInUrl: string, inviteToken: string, username: string): string {
  const url = new URL('guest/join', signInUrl.endsWith('/') ? signInUrl : `${signInUrl}/`);
  url.searchParams.set('invite', inviteToken);
  url.searchParams.set('username', username);
  return url.toString();
}

/** "2026-11-30 14:05 UTC": unambiguous for a guest in any time zone. */
export function formatExpiry(iso: string): string {
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
}

const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

/**
 * "Monday 30 November 2026 at 14:05 UTC": the expiry in words, in UTC. Spelled out by hand:
 * Intl's formatter costs more than the rest of the email (a bulk run renders a million).
 */
export function expiryInWords(iso: string): string {
  const date = new Date(iso);
  return `${WEEKDAYS[date.getUTCDay()]} ${date.getUTCDate()} ${MONTHS[date.getUTCMonth()]} ${date.getUTCFullYear()} at ${iso.slice(11, 16)} UTC`;
}

/** "in 7 days", "in 5 hours": how long the guest has, from `now`. */
export function timeLeft(expiresAt: string, now: string): string | undefined {
  const ms = Date.parse(expiresAt) - Date.parse(now);
  if (!Number.isFinite(ms) || ms <= 0) return undefined;
  const days = Math.round(ms / 86_400_000);
  if (days >= 1) return `in ${days} day${days === 1 ? '' : 's'}`;
  const hours = Math.max(1, Math.round(ms / 3_600_000));
  return `in ${hours} hour${hours === 1 ? '' : 's'}`;
}

/** Words wrapped at `width` columns; a word longer than that keeps its own line, unbroken. */
export function wrapWords(text: string, width = 78, indent = ''): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && indent.length + line.length + 1 + word.length > width) {
      lines.push(indent + line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  if (line) lines.push(indent + line);
  return lines;
}

/** Each paragraph of `text` wrapped (blank lines between paragraphs kept). */
function wrapParagraphs(text: string, width: number, indent = ''): string[] {
  return text.split('\n').flatMap((paragraph) => (paragraph.trim() === '' ? [indent.trimEnd()] : wrapWords(paragraph, width, indent)));
}

const WAITING_PAGE =
  'After opening the link, click "Log in as a guest user" right away: after a few seconds the page redirects to your workspace\'s identity provider, where you cannot set up your account.';

/** Colours with enough contrast on white, and on the dark background some clients force. */
const BRAND = '#4b2bd6';
const INK = '#1f2328';
const MUTED = '#59636e';
const FONT = "-apple-system, BlinkMacSystemFont, 'Segoe UI', Helvetica, Arial, sans-serif";
const MONO = "ui-monospace, SFMono-Regular, Menlo, Consolas, 'Liberation Mono', monospace";

export function renderInviteEmail(input: InviteEmailInput): RenderedEmail {
  const link = joinUrl(input.signInUrl, input.inviteToken, input.recipient);
  const inviter = input.inviterName ? `${input.inviterName} (${input.inviter})` : input.inviter;
  const left = input.now ? timeLeft(input.expiresAt, input.now) : undefined;
  const expiry = `${left ? `${left}, on ` : 'on '}${expiryInWords(input.expiresAt)}`;
  const greeting = input.guestName ? `Hello ${input.guestName},` : 'Hello,';
  const subject = `${input.inviterName ?? input.inviter} invited you to join ${input.workspaceName} on Cerby`;
  const invited = `${inviter} invited you to join the ${input.workspaceName} workspace on Cerby as a guest user.`;
  const preheader = `Your account details for ${input.workspaceName}: join before ${formatExpiry(input.expiresAt)}.`;
  const footer = `You received this email because ${inviter} invited ${input.recipient} to ${input.workspaceName} on Cerby. Not expecting it? You can ignore this email; the invite expires on ${expiryInWords(input.expiresAt)}.`;

  const text = [
    greeting,
    '',
    ...wrapWords(invited),
    ...(input.customMessage ? ['', `Message from ${inviter}:`, ...wrapParagraphs(input.customMessage, 78, '> ')] : []),
    '',
    'Your account details:',
    `  Workspace name:     ${input.workspaceName}`,
    `  Username:           ${input.recipient}`,
    `  Temporary password: ${input.tempPassword}`,
    '',
    // One line whatever its length: `join --email-file` reads the link from it.
    `Join as a guest: ${link}`,
    '',
    ...wrapWords(WAITING_PAGE),
    '',
    ...wrapWords(`This invitation expires ${expiry}.`),
    '',
    // The signature separator ("-- "): mail clients show what follows as a footer.
    '-- ',
    ...wrapWords(footer),
    ...wrapWords(`Sent by cerby-guests on behalf of ${input.workspaceName}.`),
  ].join('\n');

  const e = escapeHtml;
  const detail = (label: string, value: string, style = `font: 600 16px/1.4 ${FONT}; color: ${INK}`) =>
    `<tr><td class="muted" style="padding: 4px 0; font: 14px/1.4 ${FONT}; color: ${MUTED}">${e(label)}</td></tr>
<tr><td class="ink" style="padding: 0 0 12px; ${style}">${e(value)}</td></tr>`;
  const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<meta name="supported-color-schemes" content="light dark">
<title>${e(subject)}</title>
<style>
  /* A phone: the password stays on one line. */
  @media (max-width: 480px) {
    .secret { font-size: 18px !important; letter-spacing: 0 !important; padding: 10px 12px !important; }
  }
  @media (prefers-color-scheme: dark) {
    .page { background: #0d1117 !important; }
    .card { background: #161b22 !important; border-color: #30363d !important; }
    .ink { color: #e6edf3 !important; }
    .muted { color: #9198a1 !important; }
    .secret { background: #0d1117 !important; color: #e6edf3 !important; border-color: #30363d !important; }
    .link { color: #b4a9ff !important; }
  }
</style>
</head>
<body class="page" style="margin: 0; padding: 0; background: #f6f8fa">
<div style="display: none; max-height: 0; overflow: hidden; opacity: 0; color: transparent">${e(preheader)}</div>
<table role="presentation" class="page" width="100%" cellspacing="0" cellpadding="0" border="0" style="background: #f6f8fa">
<tr><td align="center" style="padding: 24px 12px">
<table role="presentation" class="card" width="100%" cellspacing="0" cellpadding="0" border="0" style="max-width: 600px; background: #ffffff; border: 1px solid #d1d9e0; border-radius: 8px">
<tr><td style="padding: 20px 24px; background: ${BRAND}; border-radius: 8px 8px 0 0; font: 600 20px/1.3 ${FONT}; color: #ffffff">${e(input.workspaceName)}</td></tr>
<tr><td class="ink" style="padding: 24px 24px 8px; font: 16px/1.5 ${FONT}; color: ${INK}">
<p style="margin: 0 0 12px">${e(greeting)}</p>
<p style="margin: 0 0 12px">${e(inviter)} invited you to join the <strong>${e(input.workspaceName)}</strong> workspace on Cerby as a guest user.</p>
${
  input.customMessage
    ? `<p class="muted" style="margin: 0 0 4px; color: ${MUTED}">Message from ${e(inviter)}:</p>
<blockquote style="margin: 0 0 12px; padding: 8px 12px; border-left: 3px solid ${BRAND}; white-space: pre-wrap">${e(input.customMessage)}</blockquote>
`
    : ''
}</td></tr>
<tr><td style="padding: 8px 24px">
<table role="presentation" width="100%" cellspacing="0" cellpadding="0" border="0">
<tr><td class="muted" style="padding: 0 0 8px; font: 600 14px/1.4 ${FONT}; color: ${MUTED}">Your account details</td></tr>
${detail('Workspace name', input.workspaceName)}
${detail('Username', input.recipient)}
<tr><td class="muted" style="padding: 4px 0; font: 14px/1.4 ${FONT}; color: ${MUTED}">Temporary password</td></tr>
<tr><td class="secret" style="padding: 12px 16px; font: 600 22px/1.3 ${MONO}; letter-spacing: 1px; color: ${INK}; background: #f6f8fa; border: 1px solid #d1d9e0; border-radius: 6px; user-select: all; -webkit-user-select: all; word-break: break-all">${e(input.tempPassword)}</td></tr>
</table>
</td></tr>
<tr><td align="left" style="padding: 20px 24px 8px">
<table role="presentation" cellspacing="0" cellpadding="0" border="0"><tr>
<td align="center" bgcolor="${BRAND}" style="border-radius: 6px; background: ${BRAND}">
<a href="${e(link)}" target="_blank" style="display: inline-block; padding: 12px 24px; font: 600 16px/1.2 ${FONT}; color: #ffffff; text-decoration: none; border-radius: 6px">Join as a guest</a>
</td></tr></table>
</td></tr>
<tr><td class="muted" style="padding: 8px 24px 0; font: 13px/1.5 ${FONT}; color: ${MUTED}">Button not working? Paste this link into your browser:<br><a class="link" href="${e(link)}" style="color: ${BRAND}; word-break: break-all">${e(link)}</a></td></tr>
<tr><td class="ink" style="padding: 16px 24px 0; font: 15px/1.5 ${FONT}; color: ${INK}">After opening the link, click <strong>Log in as a guest user</strong> right away: after a few seconds the page redirects to your workspace's identity provider, where you cannot set up your account.</td></tr>
<tr><td class="ink" style="padding: 12px 24px 24px; font: 15px/1.5 ${FONT}; color: ${INK}">This invitation expires ${e(expiry)}.</td></tr>
<tr><td class="muted" style="padding: 16px 24px 20px; border-top: 1px solid #d1d9e0; font: 12px/1.5 ${FONT}; color: ${MUTED}">${e(footer)}<br>Sent by cerby-guests on behalf of ${e(input.workspaceName)}.</td></tr>
</table>
</td></tr>
</table>
</body>
</html>
`;
  return {
    from: { name: `${input.workspaceName} (Cerby)`, address: input.sender },
    to: input.recipient,
    subject,
    text,
    html,
    messageId: input.messageId,
    replyTo: input.inviter,
    headers: { 'Auto-Submitted': 'auto-generated' },
  };
}
