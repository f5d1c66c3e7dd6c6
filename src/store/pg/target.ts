import { UsageError } from '../../errors.js';
import { isLoopback, readCaFile } from '../../mail/smtp-config.js';
import { readPasswordFile } from '../../cli/secret-input.js';

/** `--db` names a PostgreSQL store when it is a postgres:// or postgresql:// URL; anything else is an SQLite path. */
export function isPostgresUrl(db: string): boolean {
  return /^postgres(?:ql)?:\/\//i.test(db);
}

const SSL_MODES = ['disable', 'prefer', 'require', 'verify-ca', 'verify-full'] as const;
export type SslMode = (typeof SSL_MODES)[number];

/** What node-postgres needs to connect, and how to name the store without its password. */
export interface PgTarget {
  host: string;
  port: number;
  database: string;
  user?: string;
  /** From --db-password-file, or the environment's URL; otherwise pg reads PGPASSWORD, then ~/.pgpass. */
  password?: string;
  sslMode: SslMode;
  /** The CA file's contents (`sslrootcert`), for verify-ca and verify-full against a private CA. */
  ca?: Buffer;
  /** The URL without a password and without query: safe to print. */
  description: string;
}

export interface PgTargetOptions {
  /** Where the URL came from: a password in argv is refused (shell history, `ps`). */
  source: 'flag' | 'environment';
  /** `--db-password-file`: a 0600 file whose first line is the password. */
  passwordFile?: string;
}

/**
 * Parses `postgres://[user@]host[:port]/dbname[?sslmode=…&sslrootcert=FILE]`. `sslmode` means what
 * it means to libpq: `disable` plain; `prefer` TLS if the server offers it, unverified; `require`
 * TLS, unverified; `verify-ca` the chain; `verify-full` the chain and the host name. Unlike
 * libpq, the default is `verify-full` over the network (as for SMTP: a shared store holds every
 * guest's credentials) and `disable` on loopback.
 */
export function parsePgUrl(text: string, options: PgTargetOptions): PgTarget {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError('invalid PostgreSQL URL: expected postgres://[user@]host[:port]/dbname');
  }
  if (!url.hostname) throw new UsageError('invalid PostgreSQL URL: no host');
  const database = decodeURIComponent(url.pathname.replace(/^\//, ''));
  if (!database || database.includes('/')) throw new UsageError('invalid PostgreSQL URL: name the database, as in postgres://user@host:5432/dbname');
  const port = url.port ? Number(url.port) : 5432;
  const params = url.searchParams;
  for (const key of params.keys()) {
    if (key !== 'sslmode' && key !== 'sslrootcert') {
      throw new UsageError(`invalid PostgreSQL URL: unknown option ${key} (known: sslmode, sslrootcert)`);
    }
  }
  const mode = params.get('sslmode') ?? (isLoopback(url.hostname) ? 'disable' : 'verify-full');
  if (!(SSL_MODES as readonly string[]).includes(mode)) {
    throw new UsageError(`invalid PostgreSQL URL: sslmode must be one of ${SSL_MODES.join(', ')}, not ${mode}`);
  }
  const target: PgTarget = {
    host: url.hostname.replace(/^\[|\]$/g, ''),
    port,
    database,
    sslMode: mode as SslMode,
    description: `postgres://${url.username ? `${url.username}@` : ''}${url.host}/${url.pathname.replace(/^\//, '')}`,
  };
  if (url.username) target.user = decodeURIComponent(url.username);
  if (url.password) {
    if (options.source === 'flag') {
      throw new UsageError(
        'a password in the --db URL would be kept in shell history and shown by ps: use PGPASSWORD, ~/.pgpass or --db-password-file',
      );
    }
    target.password = decodeURIComponent(url.password);
  }
  if (options.passwordFile) target.password = readPasswordFile(options.passwordFile, 'database password file');
  const rootCert = params.get('sslrootcert');
  if (rootCert) target.ca = readCaFile(rootCert, 'PostgreSQL CA file');
  return target;
}

/** node-postgres's `ssl` option for a mode: false (plain), or TLS verifying as much as the mode asks. */
export function sslOption(target: PgTarget): false | { rejectUnauthorized: boolean; ca?: Buffer; checkServerIdentity?: () => undefined } {
  switch (target.sslMode) {
    case 'disable':
      return false;
    case 'prefer':
    case 'require':
      return { rejectUnauthorized: false };
    case 'verify-ca':
      // The chain, not the name: Node checks the name unless told not to.
      return { rejectUnauthorized: true, ca: target.ca, checkServerIdentity: () => undefined };
    case 'verify-full':
      return { rejectUnauthorized: true, ca: target.ca };
  }
}
