/**
 * The invite email (SPEC §3): workspace name, username, temporary password, a
 * "Join as a guest" link, expiry, inviter and the custom message. Pure: no I/O.
 */
export interface InviteEmailInput {
  workspaceName: string;
  signInUrl: string;
  sender: string;
  recipient: string;
  guestName: string | null;
  tempPassword: string;
  inviter: string;
  customMessage: string | null;
  expiresAt: string;
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

export function renderInviteEmail(input: InviteEmailInput): RenderedEmail {
  const link = joinUrl(input.signInUrl, input.inviteToken, input.recipient);
  const expiry = formatExpiry(input.expiresAt);
  const greeting = input.guestName ? `Hello ${input.guestName},` : 'Hello,';
  const subject = `${input.inviter} invited you to join ${input.workspaceName} on Cerby`;

  const text = [
    greeting,
    '',
    `${input.inviter} invited you to join the ${input.workspaceName} workspace on Cerby as a guest user.`,
    ...(input.customMessage ? ['', `Message from ${input.inviter}:`, ...input.customMessage.split('\n').map((l) => `> ${l}`)] : []),
    '',
    'Your account details:',
    `  Workspace name:     ${input.workspaceName}`,
    `  Username:           ${input.recipient}`,
    `  Temporary password: ${input.tempPassword}`,
    '',
    `Join as a guest: ${link}`,
    '',
    'After opening the link, click "Log in as a guest user" right away: after a few seconds the page',
    'redirects to your workspace\'s identity provider, where you cannot set up your account.',
    '',
    `This invitation expires on ${expiry}.`,
  ].join('\n');

  const e = escapeHtml;
  const html = `<!doctype html>
<html><body style="font-family: sans-serif; line-height: 1.5">
<p>${e(greeting)}</p>
<p>${e(input.inviter)} invited you to join the <strong>${e(input.workspaceName)}</strong> workspace on Cerby as a guest user.</p>
${
  input.customMessage
    ? `<p>Message from ${e(input.inviter)}:</p>\n<blockquote style="white-space: pre-wrap">${e(input.customMessage)}</blockquote>\n`
    : ''
}<table role="presentation">
<tr><td>Workspace name</td><td><strong>${e(input.workspaceName)}</strong></td></tr>
<tr><td>Username</td><td><strong>${e(input.recipient)}</strong></td></tr>
<tr><td>Temporary password</td><td><code>${e(input.tempPassword)}</code></td></tr>
</table>
<p><a href="${e(link)}" style="display: inline-block; padding: 8px 16px; background: #4b2bd6; color: #fff; text-decoration: none">Join as a guest</a></p>
<p>After opening the link, click <strong>Log in as a guest user</strong> right away: after a few seconds the page redirects to your workspace's identity provider, where you cannot set up your account.</p>
<p>This invitation expires on ${e(expiry)}.</p>
</body></html>
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
