import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import Database from 'better-sqlite3';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import { runCli } from '../src/cli.js';
import { processes } from '../src/main.js';
import type { CryptoCosts } from '../src/crypto/costs.js';
import { Factory, type Providers } from '../src/factory.js';
import type { Deps, Processes, TestHooks } from '../src/deps.js';
import { createPrompter, type Prompter } from '../src/prompter.js';

const tempDirs: string[] = [];

/** A fresh folder in the system temp folder, removed when the test file ends (test/setup.ts). */
export function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cerby-guests-test-'));
  tempDirs.push(dir);
  return dir;
}

export function removeTempDirs(): void {
  for (const dir of tempDirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
}

/**
 * Rows of a store file, read through a read-only connection of the test's own: a test checks
 * what was stored without running SQL through the store (only its repositories do).
 */
export function peek<T = Record<string, unknown>>(dbPath: string, sql: string, ...params: unknown[]): T[] {
  const db = new Database(dbPath, { readonly: true, fileMustExist: true });
  try {
    return db.prepare(sql).all(...params) as T[];
  } finally {
    db.close();
  }
}

/** A clock tests can move. */
export class Clock {
  constructor(public current = new Date('2026-11-23T10:00:00.000Z')) {}
  now = (): Date => new Date(this.current.getTime());
  advance(ms: number): void {
    this.current = new Date(this.current.getTime() + ms);
  }
}

export const DAY = 86_400_000;

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  env?: Record<string, string | undefined>;
  clock?: Clock;
  stdoutIsTTY?: boolean;
  stdinIsTTY?: boolean;
  stdin?: PassThrough;
  /** A stdout of the test's own (e.g. a slow pipe); the result's stdout is then empty. */
  stdout?: import('node:stream').Writable;
  /** Share stderr with an injected prompter (interactive tests). */
  stderr?: PassThrough;
  prompter?: Prompter;
  cwd?: string;
  /** Pause points inside a command (race tests). */
  hooks?: TestHooks;
  /** stdin, stdout and stderr all terminals (a person at a terminal), with this many columns. */
  tty?: boolean;
  columns?: number;
  /** A test's store and mailer instead of the real ones (the fast layer). */
  providers?: Providers;
  /** scrypt's work factors; cheap unless a test asks for the real ones. */
  crypto?: CryptoCosts;
  /** This run as another process (a re-run after the one before it ended): this process's leases then read as a dead one's. */
  asAnotherProcess?: boolean;
}

/** scrypt at a cost a test can afford thousands of times; one test checks the real parameters. */
export const CHEAP_COSTS: CryptoCosts = { password: { N: 2 ** 10, r: 8, p: 1 }, seal: { N: 2 ** 10, r: 8, p: 1 } };

function collect(stream: PassThrough): () => string {
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(Buffer.from(c)));
  return () => Buffer.concat(chunks).toString('utf8');
}

/** A later process on this host: every lease this test process took reads as left by a process that is gone. */
function anotherProcess(): Processes {
  const real = processes();
  const self = `${real.self.split('/')[0]}/${process.pid}/another-${Math.random().toString(36).slice(2)}`;
  return {
    self,
    alive(identity) {
      if (identity === self) return true;
      // This test process, as the run before saw it: gone.
      return real.alive(identity) === true ? false : real.alive(identity);
    },
  };
}

/** Runs the real CLI in-process with fake terminals and clock, real SQLite and SMTP. */
export async function run(argv: string[], options: RunOptions = {}): Promise<RunResult> {
  const collected = new PassThrough();
  const stdout = options.stdout ?? collected;
  const stderr = options.stderr ?? new PassThrough();
  const stdin = options.stdin ?? new PassThrough();
  const out = collect(collected);
  const err = collect(stderr);
  const stdinIsTTY = options.stdinIsTTY ?? options.tty ?? false;
  const stdoutIsTTY = options.stdoutIsTTY ?? options.tty ?? false;
  const interactive = stdinIsTTY && stdoutIsTTY;
  const deps: Deps = {
    io: {
      stdin,
      stdout,
      stderr,
      stdinIsTTY,
      stdoutIsTTY,
      stderrIsTTY: options.tty ?? false,
      columns: options.columns ?? (options.tty ? 100 : undefined),
    },
    prompter: options.prompter ?? createPrompter({ stdin, stderr, interactive }),
    now: (options.clock ?? new Clock()).now,
    monotonic: () => performance.now(),
    env: { CERBY_GUESTS_RETRY_BASE_MS: '5', ...options.env },
    cwd: options.cwd ?? process.cwd(),
    version: '0.0.0-test',
    hooks: options.hooks,
    crypto: options.crypto ?? CHEAP_COSTS,
    processes: options.asAnotherProcess ? anotherProcess() : processes(),
  };
  const code = await runCli(argv, deps, options.providers);
  return { code, stdout: out(), stderr: err() };
}

export interface ReceivedMail {
  from: string;
  to: string[];
  raw: string;
  parsed: ParsedMail;
}

export interface TestSmtp {
  port: number;
  url: string;
  messages: ReceivedMail[];
  /** Every RCPT TO the server saw, in order: when a transaction for an address started. */
  rcpts: string[];
  /** When each of those came (performance.now(), ms). */
  rcptTimes: number[];
  /** The recipients of every message whose bytes began to arrive (after DATA), in order. */
  dataStarted: string[];
  /** Every command line the server read (credentials redacted by smtp-server), with its connection. */
  commands: { cid: string; line: string }[];
  /** Each session's EHLO name, whether it was on TLS, and who authenticated: as MAIL FROM saw them. */
  sessions: { cid: string; helo: string; secure: boolean; user?: string }[];
  close(): Promise<void>;
}

/** A real SMTP server on 127.0.0.1, port 0. `onRcpt` may reject a recipient with an SMTP code. */
export async function startSmtp(
  options: {
    onRcpt?: (address: string) => { code: number; message: string } | undefined;
    /** After the data arrived: 'drop' closes the connection without a reply. */
    afterData?: (mail: ReceivedMail) => 'drop' | { code: number; message: string } | undefined;
    /** Require AUTH with this user and password. */
    login?: { user: string; pass: string };
    /** Wait this long before answering each message: a slow server. */
    onDataDelayMs?: number;
    /** Wait this long before answering each RCPT TO: a server that checks recipients slowly. */
    onRcptDelayMs?: number;
    /** Awaited after the data arrived and before the reply: holds a message "in DATA". */
    holdData?: (mail: ReceivedMail) => Promise<void>;
    /** Refuse MAIL FROM with this reply (a sender the server does not allow). */
    onMailFrom?: (address: string) => { code: number; message: string } | undefined;
  } & Partial<SMTPServerOptions> = {},
): Promise<TestSmtp> {
  const messages: ReceivedMail[] = [];
  const rcpts: string[] = [];
  const dataStarted: string[] = [];
  const rcptTimes: number[] = [];
  const commands: { cid: string; line: string }[] = [];
  const sessions: { cid: string; helo: string; secure: boolean; user?: string }[] = [];
  const { onRcpt, afterData, login, onDataDelayMs, onRcptDelayMs, holdData, onMailFrom, ...serverOptions } = options;
  const quiet = () => undefined;
  // smtp-server logs each command it reads at debug level: the test reads them there.
  const logger = {
    level: quiet,
    trace: quiet,
    info: quiet,
    warn: quiet,
    error: quiet,
    fatal: quiet,
    debug: (meta: { tnx?: string; cid?: string }, _format: string, line?: string) => {
      if (meta?.tnx === 'command' && meta.cid) commands.push({ cid: meta.cid, line: String(line ?? '') });
    },
  };
  const loginOptions: Partial<SMTPServerOptions> = login
    ? {
        authOptional: false,
        authMethods: ['PLAIN', 'LOGIN'],
        onAuth(auth, _session, callback) {
          if (auth.username === login.user && auth.password === login.pass) return callback(null, { user: auth.username });
          const error = new Error('Invalid username or password') as Error & { responseCode: number };
          error.responseCode = 535;
          callback(error);
        },
      }
    : {};
  const server: SMTPServer = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: logger as unknown as SMTPServerOptions['logger'],
    ...loginOptions,
    ...serverOptions,
    onMailFrom(address, session, callback) {
      sessions.push({ cid: session.id, helo: String(session.hostNameAppearsAs), secure: session.secure, user: (session.user as string | undefined) ?? undefined });
      const refusal = onMailFrom?.(address.address);
      if (refusal) {
        const error = new Error(refusal.message) as Error & { responseCode: number };
        error.responseCode = refusal.code;
        return callback(error);
      }
      callback();
    },
    onRcptTo(address, _session, callback) {
      rcpts.push(address.address);
      rcptTimes.push(performance.now());
      const rejection = onRcpt?.(address.address);
      if (rejection) {
        const error = new Error(rejection.message) as Error & { responseCode: number };
        error.responseCode = rejection.code;
        return callback(error);
      }
      if (onRcptDelayMs) setTimeout(() => callback(), onRcptDelayMs);
      else callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => {
        if (chunks.length === 0) dataStarted.push(...session.envelope.rcptTo.map((r) => r.address));
        chunks.push(c);
      });
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        simpleParser(raw).then(
          (parsed) => {
            const mail = {
              from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
              to: session.envelope.rcptTo.map((r) => r.address),
              raw,
              parsed,
            };
            messages.push(mail);
            const verdict = afterData?.(mail);
            if (verdict === 'drop') {
              // The data arrived, the reply never will: the sender cannot know it was delivered.
              for (const connection of (server as unknown as { connections: Set<{ id: string; _socket: { destroy(): void } }> }).connections) {
                if (connection.id === session.id) connection._socket.destroy();
              }
              return;
            }
            if (verdict) {
              const error = new Error(verdict.message) as Error & { responseCode: number };
              error.responseCode = verdict.code;
              messages.pop();
              return callback(error);
            }
            if (holdData) void holdData(mail).then(() => callback());
            else if (onDataDelayMs) setTimeout(callback, onDataDelayMs);
            else callback();
          },
          (error: Error) => callback(error),
        );
      });
    },
  });
  // A client killed mid-session (the crash tests) resets its socket: that is expected, not a test failure.
  server.on('error', () => {});
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.server.address() as { port: number }).port;
  return {
    port,
    url: `smtp://127.0.0.1:${port}`,
    messages,
    rcpts,
    rcptTimes,
    dataStarted,
    commands,
    sessions,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The temporary password as the guest reads it in the email. */
export function tempPasswordFrom(text: string): string {
  const match = /Temporary password:\s+(\S+)/.exec(text);
  if (!match) throw new Error('no temporary password in the email');
  return match[1]!;
}

/** A workspace in a fresh temp folder: returns the db path and a runner bound to it. */
export async function workspace(options: RunOptions & { smtp?: string; /** A PostgreSQL URL (give PGPASSWORD in `env`); else a file in the temp folder. */ pg?: string } = {}) {
  const dir = tempDir();
  const db = options.pg ?? path.join(dir, 'guests.db');
  // Where emails go without SMTP: beside the file, or (a database) in the current folder.
  const outbox = path.join(dir, options.pg ? 'cerby-guests.outbox' : 'guests.outbox');
  const clock = options.clock ?? new Clock();
  const base = options.smtp ? ['--db', db, '--smtp', options.smtp] : ['--db', db];
  const cli = (argv: string[], extra: RunOptions = {}) => run([...base, ...argv], { clock, ...(options.pg ? { cwd: dir } : {}), ...options, ...extra });
  const init = await cli(['init', '--workspace', 'Acme', '--owner', 'owner@acme.example']);
  if (init.code !== 0) throw new Error(`init failed: ${init.stderr}`);
  return { dir, db, outbox, clock, cli };
}

/**
 * An SMTP server that is down: it listens (on a port of its own, from listen(0), so no other
 * test can take it) and drops every connection at once, before any greeting.
 */
export async function startDownServer(): Promise<{ port: number; url: string; close(): Promise<void> }> {
  const server = net.createServer((socket) => socket.destroy());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return { port, url: `smtp://127.0.0.1:${port}`, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/** A factory with nothing behind it, for tests that only parse a command line (flags → options). */
export function parsingFactory(): Factory {
  const stream = new PassThrough();
  return new Factory({
    io: { stdin: stream, stdout: new PassThrough(), stderr: new PassThrough(), stdinIsTTY: false, stdoutIsTTY: false, stderrIsTTY: false },
    prompter: createPrompter({ stdin: stream, stderr: new PassThrough(), interactive: false }),
    now: new Clock().now,
    monotonic: () => performance.now(),
    env: {},
    cwd: '/',
    version: 'test',
  });
}

/**
 * A person at a terminal `columns` wide: each answer is typed once its prompt shows on stderr
 * (escape codes stripped); a function answer reads everything shown so far.
 */
export function keyboard(answers: [RegExp, string | ((screen: string) => string)][], columns = 100) {
  const stdin = new PassThrough();
  const stderr = new PassThrough();
  let screen = '';
  let all = '';
  stderr.on('data', (chunk: Buffer) => {
    // eslint-disable-next-line no-control-regex
    const text = chunk.toString().replace(/\u001b\[[0-9;?]*[A-Za-z]/g, '');
    screen += text;
    all += text;
    const next = answers[0];
    if (next && next[0].test(screen)) {
      answers.shift();
      screen = '';
      const reply = typeof next[1] === 'function' ? next[1](all) : next[1];
      setTimeout(() => stdin.write(reply), 20);
    }
  });
  const prompter = createPrompter({ stdin, stderr, interactive: true, columns });
  return { io: { prompter, stdin, stderr, tty: true }, left: () => answers.length, screen: () => all };
}

export interface TestCa {
  caFile: string;
  key: Buffer;
  cert: Buffer;
}

/** A CA and a server certificate for 127.0.0.1 and localhost, valid 2 days. */
export function makeCa(): TestCa {
  const dir = tempDir();
  const sh = (args: string[]) => {
    const result = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`openssl ${args[0]}: ${result.stderr}`);
  };
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  sh(['req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=cerby-guests test CA']);
  sh(['req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost']);
  fs.writeFileSync(path.join(dir, 'ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  sh(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '2', '-extfile', 'ext']);
  return { caFile: path.join(dir, 'ca.pem'), key: fs.readFileSync(path.join(dir, 'server.key')), cert: fs.readFileSync(path.join(dir, 'server.pem')) };
}

/** The README's first fenced block, the quick start: its non-blank lines. */
export function quickStart(): string[] {
  const readme = fs.readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  const match = /^```\n([\s\S]*?)\n```$/m.exec(readme);
  if (!match) throw new Error('README.md has no fenced block');
  return match[1]!.split('\n').filter((line) => line.trim() !== '');
}

/**
 * The environment the quick start's `npx` lines run in: none of ours (`more` adds some), and no
 * npm scripts. npx links this folder into its cache, and npm runs a linked folder's `prepare`
 * (the build) unless told not to: that rebuilt dist/bundle/ under the other tests' feet.
 */
export function quickStartEnv(more: Record<string, string> = {}): Record<string, string | undefined> {
  return { ...Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('CERBY_GUESTS_'))), npm_config_ignore_scripts: 'true', ...more };
}

/**
 * Runs the quick start's `npx` lines exactly as written, in `folder` (inside the repository,
 * where npx finds this package's bin), with `quickStartEnv(env)`: each must exit 0. Their output.
 */
export function runQuickStart(folder: string, env: Record<string, string> = {}): string[] {
  const outputs: string[] = [];
  for (const line of quickStart().filter((l) => l.startsWith('npx '))) {
    const result = spawnSync('bash', ['-c', line], { cwd: folder, env: quickStartEnv(env), encoding: 'utf8', timeout: 60_000 });
    expect([line, result.status, result.stderr.replace(/^npm warn .*\n/gm, '')]).toEqual([line, 0, expect.any(String)]);
    outputs.push(result.stdout + result.stderr);
  }
  return outputs;
}
