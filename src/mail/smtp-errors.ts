import net from 'node:net';
import tls from 'node:tls';
import { describeSmtp, type SmtpConfig } from './smtp-config.js';

/**
 * TLS mistakes in an admin's words: which setting to change, never OpenSSL's internals. Each
 * is a configuration error (code ECONFIG): it stops a run at once, every message stays queued.
 */

interface SocketishError {
  code?: string;
  originalCode?: string;
  message?: string;
  command?: string;
  responseCode?: number;
}

/** Node's codes for a certificate that did not verify, with what each means. */
const UNTRUSTED: Record<string, string> = {
  DEPTH_ZERO_SELF_SIGNED_CERT: 'it is self-signed',
  SELF_SIGNED_CERT_IN_CHAIN: 'its chain ends in a CA this machine does not trust',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'it was issued by a CA this machine does not trust',
  UNABLE_TO_GET_ISSUER_CERT: 'it was issued by a CA this machine does not trust',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'it was issued by a CA this machine does not trust',
  CERT_HAS_EXPIRED: 'it has expired',
  CERT_NOT_YET_VALID: 'it is not valid yet',
  ERR_TLS_CERT_ALTNAME_INVALID: 'it does not name this host',
};

/** `suggestedUrl`: the URL that would have worked, for the hint a run prints (a scheme mix-up). */
const configError = (message: string, suggestedUrl?: string) => Object.assign(new Error(message), { code: 'ECONFIG', suggestedUrl });

/** True when the bytes a plain SMTP client read were the start of a TLS handshake, or OpenSSL found plain text where TLS was expected. */
function notTls(e: SocketishError): boolean {
  return /wrong version number|packet length too long|unknown protocol|http request|WRONG_VERSION_NUMBER/i.test(`${e.code ?? ''} ${e.originalCode ?? ''} ${e.message ?? ''}`);
}

/**
 * The error a send or a check met, explained when it is a TLS mistake; anything else as it
 * was. `implicitTls` is asked only after a greeting never came on smtp:// (the port may be
 * waiting for a TLS handshake).
 */
export async function explainSmtpError(error: unknown, config: SmtpConfig, implicitTls: () => Promise<boolean> = () => speaksTlsFirst(config)): Promise<unknown> {
  const e = (error ?? {}) as SocketishError;
  const where = describeSmtp(config);
  const code = e.originalCode && UNTRUSTED[e.originalCode] ? e.originalCode : e.code && UNTRUSTED[e.code] ? e.code : undefined;
  if (code) {
    const trusted = config.caFile ? ` (not by the CA in ${config.caFile} either)` : '';
    return configError(
      `the certificate of ${where} is not trusted: ${UNTRUSTED[code]}${trusted}. Give its CA with --smtp-ca-file FILE (or \`cerby-guests config set smtp-ca-file FILE\`; NODE_EXTRA_CA_CERTS=FILE also works)`,
    );
  }
  if (config.secure && notTls(e)) {
    return configError(`${where} does not start with TLS (it speaks plain SMTP first): use smtp://${hostPort(config)} (STARTTLS) instead of smtps://`, describeSmtp({ ...config, secure: false }));
  }
  if (!config.secure && e.code === 'ETIMEDOUT' && /greeting/i.test(e.message ?? '') && (await implicitTls())) {
    return configError(`${where} expects TLS from the first byte (implicit TLS, usually port 465): use smtps://${hostPort(config)}`, describeSmtp({ ...config, secure: true }));
  }
  return error;
}

function hostPort(config: SmtpConfig): string {
  return `${config.host.includes(':') ? `[${config.host}]` : config.host}:${config.port}`;
}

/** Whether the port completes a TLS handshake (certificate not checked): one short try. */
export function speaksTlsFirst(config: SmtpConfig, timeoutMs = 3000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = tls.connect({ host: config.host, port: config.port, rejectUnauthorized: false, servername: net.isIP(config.host) ? undefined : config.host });
    const done = (answer: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(answer);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.once('secureConnect', () => done(true));
    socket.once('error', () => done(false));
  });
}
