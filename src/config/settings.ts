import fs from 'node:fs';
import path from 'node:path';
import { UsageError } from '../errors.js';
import { parseSmtpUrl } from '../mail/smtp-config.js';

/**
 * Delivery settings an admin saves once (`config set`, like git and gh) and every later
 * command uses: flag > environment > saved. None is a secret: the SMTP password stays in a
 * 0600 file whose path is saved, and a URL with a password in it is refused.
 */
export const SETTING_KEYS = ['smtp', 'smtp-password-file', 'smtp-ca-file', 'smtp-helo', 'smtp-rate'] as const;
export type SettingKey = (typeof SETTING_KEYS)[number];

export interface SettingSpec {
  /** Its global flag and environment variable. */
  flag: string;
  env: string;
  describe: string;
  /** The value as it is saved (checked; paths made absolute), or a usage error. */
  check(value: string, cwd: string): string;
}

const HOSTNAME = /^(?=.{1,253}$)(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)*[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;
export const RATE = /^(\d+(?:\.\d+)?)\/(s|m|h)$/;

function existingFile(value: string, cwd: string, what: string): string {
  const file = path.resolve(cwd, value);
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch {
    throw new UsageError(`cannot read the ${what} ${file}`);
  }
  if (!stat.isFile()) throw new UsageError(`the ${what} ${file} is not a file`);
  return file;
}

export const SETTINGS: Record<SettingKey, SettingSpec> = {
  smtp: {
    flag: '--smtp',
    env: 'CERBY_GUESTS_SMTP_URL',
    describe: 'SMTP server: smtp://user@host:587 (STARTTLS) or smtps://user@host:465 (implicit TLS)',
    check(value) {
      const config = parseSmtpUrl(value);
      if (config.pass !== undefined) {
        throw new UsageError('the SMTP URL must not contain a password: save it in a 0600 file and run `cerby-guests config set smtp-password-file FILE`');
      }
      return value;
    },
  },
  'smtp-password-file': {
    flag: '--smtp-password-file',
    env: 'CERBY_GUESTS_SMTP_PASSWORD_FILE',
    describe: 'a 0600 file holding the SMTP password (the password itself is never saved)',
    check(value, cwd) {
      const file = existingFile(value, cwd, 'SMTP password file');
      const mode = fs.statSync(file).mode & 0o777;
      if (mode & 0o077) throw new UsageError(`the SMTP password file ${file} must be mode 0600 (it is ${mode.toString(8).padStart(4, '0')})`);
      return file;
    },
  },
  'smtp-ca-file': {
    flag: '--smtp-ca-file',
    env: 'CERBY_GUESTS_SMTP_CA_FILE',
    describe: "a PEM file of the CA that signed the SMTP server's certificate (a private CA)",
    check(value, cwd) {
      const file = existingFile(value, cwd, 'CA file');
      if (!fs.readFileSync(file, 'utf8').includes('-----BEGIN CERTIFICATE-----')) throw new UsageError(`${file} holds no PEM certificate`);
      return file;
    },
  },
  'smtp-helo': {
    flag: '--smtp-helo',
    env: 'CERBY_GUESTS_SMTP_HELO',
    describe: "the name this client gives in EHLO (default: the sender address's domain)",
    check(value) {
      if (!HOSTNAME.test(value)) throw new UsageError(`invalid smtp-helo ${JSON.stringify(value.slice(0, 80))}: a host name, e.g. mailer.acme.example`);
      return value;
    },
  },
  'smtp-rate': {
    flag: '--rate',
    env: 'CERBY_GUESTS_SMTP_RATE',
    describe: 'at most this many emails per second, minute or hour, e.g. 10/s or 300/m',
    check(value) {
      const match = RATE.exec(value.trim());
      if (!match || Number(match[1]) <= 0) throw new UsageError(`invalid rate ${JSON.stringify(value.slice(0, 40))}: a number per s, m or h, e.g. 10/s`);
      return value.trim();
    },
  },
};

export function parseSettingKey(text: string): SettingKey {
  if ((SETTING_KEYS as readonly string[]).includes(text)) return text as SettingKey;
  throw new UsageError(`unknown setting ${JSON.stringify(text.slice(0, 40))}: use one of ${SETTING_KEYS.join(', ')}`);
}

/** Emails per second from a rate such as 10/s, 300/m or 3600/h. */
export function perSecond(rate: string): number {
  const match = RATE.exec(rate);
  if (!match) return Infinity;
  return Number(match[1]) / { s: 1, m: 60, h: 3600 }[match[2] as 's' | 'm' | 'h'];
}

export type SettingSource = 'flag' | 'environment' | 'saved';

/** A setting's value and where it came from. */
export interface ResolvedSetting {
  value: string;
  source: SettingSource;
}
