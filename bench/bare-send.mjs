// The floor for figure 1: the same number of invite emails, one recipient each, through a bare
// nodemailer pool with the same number of connections to the same sink. Each email is rendered
// by the tool's own template (dist/email/render.js), so both sides send the same bytes; what
// the floor leaves out is the tool's work around a send (store, leases, outcomes).
import crypto from 'node:crypto';
import nodemailer from 'nodemailer';
import { renderInviteEmail } from '../dist/email/render.js';

const [port, count, connections] = process.argv.slice(2).map(Number);
const transport = nodemailer.createTransport({
  pool: true,
  host: '127.0.0.1',
  port,
  secure: false,
  maxConnections: connections,
  maxMessages: Infinity,
});
const now = new Date();
const expiresAt = new Date(now.getTime() + 7 * 86400_000).toISOString();
let next = 0;
async function worker() {
  while (next < count) {
    const i = next++;
    const email = renderInviteEmail({
      workspaceName: 'Bench',
      signInUrl: 'https://cerby.localhost',
      sender: 'no-reply@bench.example',
      recipient: `guest${i}@partner.example`,
      guestName: `Guest ${i}`,
      tempPassword: crypto.randomBytes(18).toString('base64url'),
      inviter: 'owner@bench.example',
      customMessage: null,
      expiresAt,
      now: now.toISOString(),
      messageId: `<${crypto.randomBytes(16).toString('hex')}@bench.example>`,
      inviteToken: crypto.randomBytes(18).toString('base64url'),
    });
    await transport.sendMail({
      from: email.from,
      to: email.to,
      subject: email.subject,
      messageId: email.messageId,
      replyTo: email.replyTo,
      headers: email.headers,
      text: email.text,
      html: email.html,
    });
  }
}
await Promise.all(Array.from({ length: connections }, worker));
transport.close();
