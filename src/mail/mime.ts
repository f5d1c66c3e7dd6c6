import { randomBytes } from 'node:crypto';
import MailComposer from 'nodemailer/lib/mail-composer';
import { encode as qpEncode, wrap as qpWrap } from 'nodemailer/lib/qp';
import type { RenderedEmail } from '../email/render.js';

/**
 * The invite email as the message itself (RFC 5322, MIME): headers, then a multipart/alternative
 * with the text and the HTML, both quoted-printable, every line ending in CRLF.
 *
 * nodemailer composes it the same way, through a tree of MIME nodes and a stream per part,
 * asking for random bytes three times and scanning each body twice to choose its encoding:
 * for a two-part email that costs four times the encoding itself (10,000 emails: 5.7 s against
 * 1.5 s in this VM), on the thread that also keeps every connection busy. Here the header
 * fields are still nodemailer's (its address quoting, RFC 2047 encoded words and folding, for
 * whatever a workspace or inviter is called) and so is the quoted-printable encoding; what is
 * left out is the machinery around them.
 */
export function composeInvite(email: RenderedEmail): Buffer {
  const boundary = nextBoundary();
  return Buffer.from(
    `${headerFields(email)}MIME-Version: 1.0\r\nContent-Type: multipart/alternative;\r\n boundary="${boundary}"\r\n\r\n` +
      `--${boundary}\r\n${quotedPrintablePart('text/plain', email.text)}` +
      `--${boundary}\r\n${quotedPrintablePart('text/html', email.html)}` +
      `--${boundary}--\r\n`,
  );
}

/**
 * nodemailer's header block for the email's own fields (From, To, Reply-To, Subject,
 * Message-ID, Date, custom headers), without the fields that describe a body: those follow.
 */
function headerFields(email: RenderedEmail): string {
  const root = new MailComposer({
    from: email.from,
    to: email.to,
    replyTo: email.replyTo,
    subject: email.subject,
    messageId: email.messageId,
    headers: email.headers,
    text: '',
  }).compile() as unknown as { buildHeaders(): string };
  let fields = '';
  // A field is its first line and the folded lines under it (which start with white space).
  for (const field of root.buildHeaders().split(/\r\n(?![ \t])/)) {
    if (field === '' || /^(content-type|content-transfer-encoding|mime-version):/i.test(field)) continue;
    fields += `${field}\r\n`;
  }
  return fields;
}

/** A body part: UTF-8 text with CRLF line ends, quoted-printable (ASCII lines of at most 76). */
function quotedPrintablePart(type: string, content: string): string {
  const body = qpWrap(qpEncode(content.replace(/\r?\n/g, '\r\n')), 76);
  return `Content-Type: ${type}; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n${body}\r\n`;
}

// Random boundaries drawn 256 at a time (one call instead of one per email). A boundary only
// has to be absent from the parts; quoted-printable text never holds "=_" unencoded.
let boundaries: Buffer | undefined;
let nextOffset = 0;
function nextBoundary(): string {
  if (!boundaries || nextOffset >= boundaries.length) {
    boundaries = randomBytes(12 * 256);
    nextOffset = 0;
  }
  const unique = boundaries.toString('hex', nextOffset, nextOffset + 12);
  nextOffset += 12;
  return `=_cerby_${unique}`;
}
