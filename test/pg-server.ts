/**
 * A real PostgreSQL server for tests: Debian's `postgresql` package, started in a temporary
 * folder (initdb, then pg_ctl on 127.0.0.1 with a free port) and stopped after. Nothing is
 * skipped when the binaries are missing: the test fails and says how to install them, and
 * `.ci/run` installs them.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export interface PgServer {
  host: string;
  port: number;
  /** The superuser initdb made (`cerby`), with a password (scram-sha-256 on TCP). */
  user: string;
  password: string;
  /** A URL without the password (it comes from PGPASSWORD, ~/.pgpass or a file). */
  url(database?: string): string;
  /** Runs SQL as the superuser through psql; returns its output (unaligned, tuples only). */
  psql(sql: string, database?: string): string;
  /** Makes an empty database; returns its URL. */
  createDatabase(name?: string): string;
  stop(): void;
}

/** The folder with initdb and pg_ctl: $PG_BIN, else Debian's newest /usr/lib/postgresql/N/bin, else PATH. */
export function pgBinDir(): string {
  if (process.env.PG_BIN) return process.env.PG_BIN;
  const root = '/usr/lib/postgresql';
  const versions = fs.existsSync(root)
    ? fs.readdirSync(root).filter((v) => fs.existsSync(path.join(root, v, 'bin', 'initdb'))).sort((a, b) => Number(b) - Number(a))
    : [];
  if (versions[0]) return path.join(root, versions[0], 'bin');
  try {
    return path.dirname(execFileSync('sh', ['-c', 'command -v initdb'], { encoding: 'utf8' }).trim());
  } catch {
    throw new Error('PostgreSQL server binaries (initdb, pg_ctl) not found: apt-get install -y postgresql');
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

let databases = 0;

export interface PgServerOptions {
  /** Off for speed where a test does not crash the server. */
  fsync?: boolean;
  /** TLS with this certificate and key (PEM): clients may then ask for any sslmode. */
  tls?: { cert: Buffer | string; key: Buffer | string };
}

export async function startPg(options: PgServerOptions = {}): Promise<PgServer> {
  const bin = pgBinDir();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cerby-pg-'));
  // initdb refuses to run as root: as root, the server runs as Debian's postgres user.
  const asRoot = process.getuid?.() === 0;
  const run = (command: string, args: string[]) =>
    asRoot
      ? execFileSync('runuser', ['-u', 'postgres', '--', path.join(bin, command), ...args], { stdio: 'pipe', encoding: 'utf8' })
      : execFileSync(path.join(bin, command), args, { stdio: 'pipe', encoding: 'utf8' });
  const password = randomBytes(12).toString('hex');
  const pwfile = path.join(dir, 'pw');
  fs.writeFileSync(pwfile, password, { mode: 0o600 });
  if (asRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }));
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }));
    fs.chownSync(dir, uid, gid);
    fs.chownSync(pwfile, uid, gid);
  }
  const data = path.join(dir, 'data');
  const user = 'cerby';
  run('initdb', ['-D', data, '-U', user, '--auth=scram-sha-256', `--pwfile=${pwfile}`, '-E', 'UTF8', '--locale=C', '--no-instructions']);
  fs.rmSync(pwfile);
  const tlsSettings: string[] = [];
  if (options.tls) {
    // The server refuses a key others can read; as root, the files must be the postgres user's.
    for (const [name, content] of [['server.crt', options.tls.cert], ['server.key', options.tls.key]] as const) {
      const file = path.join(data, name);
      fs.writeFileSync(file, content, { mode: 0o600 });
      if (asRoot) fs.chownSync(file, fs.statSync(data).uid, fs.statSync(data).gid);
    }
    tlsSettings.push('-c ssl=on');
  }
  let port = 0;
  for (let attempt = 1; ; attempt++) {
    port = await freePort();
    const settings = [`-p ${port}`, '-c listen_addresses=127.0.0.1', "-c unix_socket_directories=''", ...tlsSettings];
    if (options.fsync === false) settings.push('-c fsync=off', '-c synchronous_commit=off', '-c full_page_writes=off');
    try {
      run('pg_ctl', ['-D', data, '-l', path.join(dir, 'log'), '-w', '-t', '60', '-o', settings.join(' '), 'start']);
      break;
    } catch (error) {
      // Another process took the port between our probe and the server's bind: try another.
      if (attempt >= 3) throw new Error(`PostgreSQL did not start: ${fs.readFileSync(path.join(dir, 'log'), 'utf8').slice(-2000)}`, { cause: error });
    }
  }
  const host = '127.0.0.1';
  const url = (database = 'postgres') => `postgres://${user}@${host}:${port}/${database}`;
  const psql = (sql: string, database = 'postgres') =>
    execFileSync(path.join(bin, 'psql'), ['-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-d', url(database), '-c', sql], {
      encoding: 'utf8',
      env: { ...process.env, PGPASSWORD: password },
    }).trim();
  let stopped = false;
  return {
    host,
    port,
    user,
    password,
    url,
    psql,
    createDatabase(name = `t${process.pid}_${++databases}`) {
      psql(`CREATE DATABASE ${name}`);
      return url(name);
    },
    stop() {
      if (stopped) return;
      stopped = true;
      try {
        run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
