// The floor for figure 1: the same number of invite-sized messages, one recipient each,
// through a bare nodemailer pool with the same number of connections to the same sink.
import nodemailer from 'nodemailer';

const [port, count, connections] = process.argv.slice(2).map(Number);
const transport = nodemailer.createTransport({
  pool: true,
  host: '127.0.0.1',
  port,
  secure: false,
  maxConnections: connections,
  maxMessages: Infinity,
});
const filler = 'Your account details and the link to join the workspace as a guest user. '.repeat(12);
let next = 0;
async function worker() {
  while (next < count) {
    const i = next++;
    await transport.sendMail({
      from: { name: 'Bench (Cerby)', address: 'no-reply@bench.example' },
      to: `guest${i}@partner.example`,
      subject: 'owner@bench.example invited you to join Bench on Cerby',
      messageId: `<bare.${i}@bench.example>`,
      text: `Hello,\n\nTemporary password: ${Math.random().toString(36).slice(2)}\n${filler}`,
      html: `<p>Hello,</p><p>Temporary password: <code>${Math.random().toString(36).slice(2)}</code></p><p>${filler}</p>`,
    });
  }
}
await Promise.all(Array.from({ length: connections }, worker));
transport.close();
