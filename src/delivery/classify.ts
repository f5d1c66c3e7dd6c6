/** What to do after a failed send (SPEC §7, issue 6). */
export type FailureClass =
  /** Not handed over; try again later (4xx, connection refused or dropped before DATA). */
  | 'transient'
  /** The server refused it for good (5xx): mark failed with its reply. */
  | 'permanent'
  /** The data may have reached the server: never resend silently. */
  | 'unknown'
  /** Authentication, TLS or configuration: every other message would fail the same way. */
  | 'fatal';

interface SmtpishError {
  code?: string;
  responseCode?: number;
  command?: string;
  response?: string;
  message?: string;
}

export function classifySendError(error: unknown): FailureClass {
  const e = (error ?? {}) as SmtpishError;
  if (typeof e.responseCode === 'number') {
    if (e.code === 'EAUTH') return 'fatal';
    if (e.responseCode >= 500) return e.command === 'AUTH PLAIN' || e.command === 'AUTH LOGIN' ? 'fatal' : 'permanent';
    if (e.responseCode >= 400) return 'transient';
  }
  switch (e.code) {
    case 'EAUTH':
    case 'ETLS':
    case 'ENOAUTH':
    case 'EOAUTH2':
    case 'ECONFIG':
    case 'EENVELOPE':
      return 'fatal';
    case 'ECONNECTION':
    case 'EDNS':
    case 'ECONNREFUSED':
    case 'EPROTOCOL':
      // Before DATA was accepted nothing was handed over.
      return afterData(e) ? 'unknown' : 'transient';
    case 'ETIMEDOUT':
    case 'ESOCKET':
    case 'ECONNRESET':
    case 'EPIPE':
      return afterData(e) ? 'unknown' : 'transient';
    default:
      return afterData(e) ? 'unknown' : 'transient';
  }
}

/** nodemailer tags errors with the SMTP command in progress; DATA or its end means the body was under way. */
function afterData(e: SmtpishError): boolean {
  return e.command === 'DATA' || e.command === '.' || e.command === 'data';
}

/** One line, safe to store and print: the server's code and text, or the error's message. */
export function describeSendError(error: unknown): string {
  const e = (error ?? {}) as SmtpishError;
  const text = (e.response ?? e.message ?? String(error)).replace(/\s+/g, ' ').trim();
  return text.slice(0, 500);
}
