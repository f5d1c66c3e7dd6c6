import fs from 'node:fs';
import { UsageError } from '../errors.js';
import { readPasswordFile } from '../cli/secret-input.js';

export interface SmtpConfig {
  host: string;
  port: number;
  /** Implicit TLS (smtps://). */
  secure: boolean;
  /** Refuse to send without STARTTLS: the default for any host that is not loopback. */
  requireTLS: boolean;
  rejectUnauthorized: boolean;
  user?: string;
  pass?: string;
  /** A private CA to trust for the server's certificate (PEM), and the file it came from. */
  ca?: Buffer;
  caFile?: string;
  /** The name given in EHLO (default: the workspace sender's domain). */
  name?: string;
}

/** A CA file: one or more PEM certificates (`--smtp-ca-file`; a PostgreSQL URL's `sslrootcert`). `what` names it in messages. */
export function readCaFile(file: string, what = 'SMTP CA file'): Buffer {
  let pem: Buffer;
  try {
    pem = fs.readFileSync(file);
  } catch (error) {
    throw new UsageError(`cannot read the ${what} ${file} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) throw new UsageError(`the ${what} ${file} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`);
  return pem;
}


export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h);
}

/**
 * Parses an SMTP URL of nodemailer's form (`smtp://user@host:587`, `smtps://host:465`).
 * Query options: `requireTLS=false` allows plain SMTP to a non-loopback host;
 * `rejectUnauthorized=false` accepts a self-signed certificate.
 */
export function parseSmtpUrl(text: string, passwordFile?: string): SmtpConfig {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError('invalid SMTP URL: expected smtp://[user@]host[:port] or smtps://…');
  }
  if (url.protocol !== 'smtp:' && url.protocol !== 'smtps:') {
    throw new UsageError(`invalid SMTP URL: the scheme must be smtp:// or smtps://, not ${url.protocol}//`);
  }
  if (!url.hostname) throw new UsageError('invalid SMTP URL: no host');
  const secure = url.protocol === 'smtps:';
  const port = url.port ? Number(url.port) : secure ? 465 : 587;
  const params = url.searchParams;
  const config: SmtpConfig = {
    host: url.hostname.replace(/^\[|\]$/g, ''),
    port,
    secure,
    requireTLS: !secure && params.get('requireTLS') !== 'false' && !isLoopback(url.hostname),
    rejectUnauthorized: params.get('rejectUnauthorized') !== 'false',
  };
  if (url.username) config.user = decodeURIComponent(url.username);
  if (url.password) config.pass = decodeURIComponent(url.password);
  if (passwordFile) config.pass = readPasswordFile(passwordFile, 'SMTP password file');
  return config;
}

/** The URL without its password: safe to print. */
export function describeSmtp(config: SmtpConfig): string {
  const user = config.user ? `${encodeURIComponent(config.user)}@` : '';
  return `${config.secure ? 'smtps' : 'smtp'}://${user}${config.host.includes(':') ? `[${config.host}]` : config.host}:${config.port}`;
}
