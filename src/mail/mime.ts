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
 * The header fields (From, To, Reply-To, Subject, Message-ID, Date, the custom ones) as
 * nodemailer writes them, without the fields that describe a body: those follow. A bulk run
 * sends one sender, inviter and subject to every guest, so those fields are composed once and
 * reused; a plain recipient address and Message-ID are written as nodemailer writes them (as
 * they are). Anything else (a recipient with a name, or non-ASCII) goes through nodemailer whole.
 */
function headerFields(email: RenderedEmail): string {
  if (email.to.length > 72 || !PLAIN_ADDRESS.test(email.to) || !PLAIN_MESSAGE_ID.test(email.messageId)) return nodemailerFields(email, email.to, email.messageId);
  const key = JSON.stringify([email.from, email.replyTo, email.subject, email.headers]);
  let shared = sharedFields.get(key);
  if (shared === undefined) {
    // Bounded: a run has one sender and usually one inviter.
    if (sharedFields.size >= 64) sharedFields.clear();
    shared = nodemailerFields(email);
    sharedFields.set(key, shared);
  }
  // Date: the time of composing, as nodemailer sets it (and formats it) when it composes.
  return `${shared}To: ${email.to}\r\nMessage-ID: ${email.messageId}\r\nDate: ${new Date().toUTCString().replace(/GMT/, '+0000')}\r\n`;
}

/**
 * An address nodemailer writes as it is: no name, no quoting, ASCII, a lower-case domain (it
 * lower-cases one that is not), short enough (above) that it folds no line.
 */
const PLAIN_ADDRESS = /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[a-z0-9.-]{1,63}$/;
const PLAIN_MESSAGE_ID = /^<[\x21-\x3b\x3d\x3f-\x7e]{1,64}>$/;
const sharedFields = new Map<string, string>();

/**
 * nodemailer's own header block for the email; with no `to` and `messageId`, the fields every
 * email of a run shares (its Message-ID and Date, made anew for each email, left out).
 */
function nodemailerFields(email: RenderedEmail, to?: string, messageId?: string): string {
  const root = new MailComposer({
    from: email.from,
    to,
    replyTo: email.replyTo,
    subject: email.subject,
    messageId,
    headers: email.headers,
    text: '',
    // Any: only the body's fields would use it, and they are dropped. Saves drawing random bytes.
    baseBoundary: 'unused',
  }).compile() as unknown as { buildHeaders(): string };
  const dropped = to === undefined ? BODY_AND_PER_EMAIL_FIELDS : BODY_FIELDS;
  let fields = '';
  // A field is its first line and the folded lines under it (which start with white space).
  for (const field of root.buildHeaders().split(/\r\n(?![ \t])/)) {
    if (field === '' || dropped.test(field)) continue;
    fields += `${field}\r\n`;
  }
  return fields;
}

const BODY_FIELDS = /^(content-type|content-transfer-encoding|mime-version):/i;
const BODY_AND_PER_EMAIL_FIELDS = /^(content-type|content-transfer-encoding|mime-version|message-id|date):/i;

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
