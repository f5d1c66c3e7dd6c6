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
  /** Set by SmtpMailer: the message's last byte had left when the error came. */
  dataHandedOver?: boolean;
  /** Set by the deliverer: no answer within the overall send deadline. */
  deadline?: boolean;
}

const FATAL_CODES = new Set(['EAUTH', 'ENOAUTH', 'EOAUTH2', 'ETLS', 'ECONFIG', 'EREQUIRETLS']);

/**
 * nodemailer reports a connection lost before the greeting and one lost after the data the
 * same way (ECONNECTION / ETIMEDOUT, command CONN), so the hand-over flag decides between them.
 */
export function classifySendError(error: unknown): FailureClass {
  const e = (error ?? {}) as SmtpishError;
  if (e.deadline) return 'unknown';
  if (e.code && FATAL_CODES.has(e.code)) return 'fatal';
  // FolderMailer could not write this one .eml file (name taken, disk full…): only it fails.
  if (e.code === 'EMESSAGEFILE') return 'permanent';
  if (typeof e.responseCode === 'number') {
    // An explicit reply means the server decided: nothing is in doubt.
    if (e.responseCode >= 500) return 'permanent';
    if (e.responseCode >= 400) return 'transient';
  }
  if (e.code === 'ESOCKET' && /certificate|TLS|SSL|wrong version number/i.test(e.message ?? '')) return 'fatal';
  return e.dataHandedOver ? 'unknown' : 'transient';
}

/**
 * A failure with no reply from a server at all (refused, reset, timed out before the
 * greeting): a few of these in a row mean the server is down, not that a message is bad.
 */
export function isConnectionFailure(error: unknown): boolean {
  const e = (error ?? {}) as SmtpishError;
  return typeof e.responseCode !== 'number' && !e.dataHandedOver && !e.deadline;
}

/** 421, 450, 451, 452: the server asks to slow down or come back later; everyone waits. */
export function isSlowDown(error: unknown): boolean {
  const code = ((error ?? {}) as SmtpishError).responseCode;
  return code === 421 || code === 450 || code === 451 || code === 452;
}

/** One line, safe to store and print: the server's code and text, or the error's message. */
export function describeSendError(error: unknown): string {
  const e = (error ?? {}) as SmtpishError;
  const text = (e.response ?? e.message ?? String(error)).replace(/\s+/g, ' ').trim();
  const suffix = e.deadline ? '' : e.dataHandedOver && !e.responseCode ? ' (after the message was handed over)' : '';
  return `${text}${suffix}`.slice(0, 500);
}
