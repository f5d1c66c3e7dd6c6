import path from 'node:path';
import type { ChalkInstance } from 'chalk';
import { colorLevel, makeChalk } from './color.js';
import type { CryptoCosts } from './crypto/costs.js';
import type { Deps, IO, Processes, TestHooks } from './deps.js';
import type { DeliveryOptions } from './delivery/deliver.js';
import { Interrupted, UsageError } from './errors.js';
import { FolderMailer, outboxFolderFor, SmtpMailer, type Mailer } from './mail/mailer.js';
import { ThreadedSmtpMailer } from './mail/threaded.js';
import { describeSmtp, parseSmtpUrl, readCaFile, type SmtpConfig } from './mail/smtp-config.js';
import { address } from './address.js';
import { perSecond, SETTINGS, type ResolvedSetting, type SettingKey } from './config/settings.js';
import { Reporter } from './output/reporter.js';
import type { Prompter } from './prompter.js';
import type { Status } from './result.js';
import { openStore, type Store } from './store/store.js';
import { openPgStore } from './store/pg/open.js';
import { isPostgresUrl, parsePgUrl, type PgTarget } from './store/pg/target.js';

export const DEFAULT_DB = 'cerby-guests.db';

/** The global flags of SPEC §8, as the root command parsed them. */
export interface GlobalFlags {
  db?: string;
  smtp?: string;
  smtpPasswordFile?: string;
  dbPasswordFile?: string;
  smtpCaFile?: string;
  smtpHelo?: string;
  rate?: string;
  as?: string;
  json?: boolean;
  color?: boolean;
  verbose?: boolean;
}

/**
 * Where a factory gets its store and mailer: the real ones, or a test's (one in-memory store
 * shared by a test's invocations, a fake mailer). What a provider gives, the test closes.
 */
export interface Providers {
  store?: (create: boolean) => Store;
  mailer?: (factory: Factory, concurrency: number) => Mailer;
}

/**
 * Built once per invocation (gh's cmdutil.Factory): the outside world from `main.ts`, the
 * global flags once the root command parsed them, and the store and mailer, opened on first
 * use so `--help` or a usage error never touches the disk. Commands take what they need
 * from it into their own options; only `cli.ts` reads the status they leave.
 */
export class Factory {
  readonly io: IO;
  readonly prompter: Prompter;
  /** The clock. */
  readonly now: () => Date;
  readonly monotonic: () => number;
  readonly env: Record<string, string | undefined>;
  readonly cwd: string;
  readonly version: string;
  readonly hooks?: TestHooks;
  readonly crypto?: CryptoCosts;
  /** How the command that ran went; `cli.ts` maps it to an exit code. */
  status: Status = 'ok';
  /**
   * Output still being written when the command returned: rows streamed to a slow pipe wait
   * for it to drain (so they are not all queued in memory); `cli.ts` waits for this.
   */
  outputDone?: Promise<void>;
  /** A signal that stopped a long run (it still finished cleanly): the exit code becomes 128 + its number. */
  interruption?: Interrupted;
  private flags: GlobalFlags = {};
  private openingStore?: Promise<Store>;
  private openedMailer?: Mailer;
  /** The store this factory opened (a test's provider closes its own). */
  private ownedStore?: Store;
  private saved?: Map<string, string>;
  private workspaceSender?: string;

  constructor(
    readonly deps: Deps,
    private readonly providers: Providers = {},
  ) {
    this.io = deps.io;
    this.prompter = deps.prompter;
    this.now = deps.now;
    this.monotonic = deps.monotonic;
    this.env = deps.env;
    this.cwd = deps.cwd;
    this.version = deps.version;
    this.hooks = deps.hooks;
    this.crypto = deps.crypto;
  }

  /** The global flags, set by the root command before any subcommand runs. */
  configure(flags: GlobalFlags): void {
    this.flags = flags;
  }

  /** Another invocation's factory (smoke's throw-away workspace): same world, other flags. */
  derive(deps: Partial<Deps>, flags: Partial<GlobalFlags>): Factory {
    const derived = new Factory({ ...this.deps, ...deps }, this.providers);
    derived.configure({ ...this.flags, ...flags });
    return derived;
  }

  get json(): boolean {
    return this.flags.json === true;
  }

  get verbose(): boolean {
    return this.flags.verbose === true;
  }

  /** For stdout. */
  get color(): ChalkInstance {
    return makeChalk(colorLevel(this.io.stdoutIsTTY, this.env, this.flags.color));
  }

  /** For stderr: the two streams can differ (`list | less`). */
  get colorErr(): ChalkInstance {
    return makeChalk(colorLevel(this.io.stderrIsTTY, this.env, this.flags.color));
  }

  /** ✓ / ! / ✗ lines on stderr. */
  get reporter(): Reporter {
    return new Reporter(this.io.stderr, this.colorErr);
  }

  get dbPath(): string {
    return path.resolve(this.cwd, this.flags.db ?? this.env.CERBY_GUESTS_DB ?? DEFAULT_DB);
  }

  /**
   * A PostgreSQL store's URL as a connection target; its password from --db-password-file
   * (or CERBY_GUESTS_DB_PASSWORD_FILE), else PGPASSWORD or ~/.pgpass when the server asks.
   */
  pgTarget(url: string, source: 'flag' | 'environment'): PgTarget {
    return parsePgUrl(url, { source, passwordFile: this.flags.dbPasswordFile ?? this.env.CERBY_GUESTS_DB_PASSWORD_FILE });
  }

  /** `--as`, else the environment; undefined means the workspace owner. */
  get actorEmail(): string | undefined {
    return this.flags.as ?? this.env.CERBY_GUESTS_ACTOR;
  }

  /** How to name this store in a command we suggest: the --db the user gave, if any. */
  dbFlag(): string {
    const given = this.flags.db ?? this.env.CERBY_GUESTS_DB;
    return given ? ` --db ${shellQuote(given)}` : '';
  }

  initHint(): string {
    return `cerby-guests${this.dbFlag()} init --workspace NAME --owner EMAIL`;
  }

  /** The store, opened on first use (a PostgreSQL store is migrated to this version as it opens). */
  async store(): Promise<Store> {
    this.openingStore ??= this.open(false).catch((error: unknown) => {
      this.openingStore = undefined;
      if (error instanceof UsageError && error.message.startsWith('no cerby-guests store')) {
        throw new UsageError(`no workspace yet at ${this.dbPath}: run \`${this.initHint()}\` first`);
      }
      throw error;
    });
    return this.openingStore;
  }

  /** Only `init` creates the store. */
  async createStore(): Promise<Store> {
    this.openingStore ??= this.open(true);
    return this.openingStore;
  }

  /**
   * Where emails go without SMTP: beside an SQLite store (`guests.db` → `guests.outbox/`); for a
   * PostgreSQL store, which has no folder, `cerby-guests.outbox/` in the current folder.
   */
  get outboxFolder(): string {
    return this.storeIsPostgres ? path.resolve(this.cwd, 'cerby-guests.outbox') : outboxFolderFor(this.dbPath);
  }

  /** Whether --db (or CERBY_GUESTS_DB) names a PostgreSQL database rather than an SQLite file. */
  get storeIsPostgres(): boolean {
    const given = this.flags.db ?? this.env.CERBY_GUESTS_DB;
    return given !== undefined && isPostgresUrl(given);
  }

  /** The PostgreSQL store's connection target, when --db (or CERBY_GUESTS_DB) names one. */
  get pgStoreTarget(): PgTarget | undefined {
    const given = this.flags.db ?? this.env.CERBY_GUESTS_DB;
    return given !== undefined && isPostgresUrl(given) ? this.pgTarget(given, this.flags.db !== undefined ? 'flag' : 'environment') : undefined;
  }

  /** Where the store is, for messages: the file, or the PostgreSQL URL without its password. */
  get storeDescription(): string {
    return this.pgStoreTarget?.description ?? this.dbPath;
  }

  private async open(create: boolean): Promise<Store> {
    let store: Store;
    if (this.providers.store) store = this.providers.store(create);
    else {
      const target = this.pgStoreTarget;
      if (target) {
        store = await openPgStore(target, { env: this.env });
      } else {
        store = openStore(this.dbPath, {
          create,
          notice: (line: string) => this.reporter.warn(line),
          // Testing aid (documented in README): a store that runs out of room without a full disk.
          maxPageCount: positiveInt(this.env.CERBY_GUESTS_TEST_MAX_PAGES),
        });
      }
      this.ownedStore = store;
    }
    // What the synchronous settings read (`setting()`, the EHLO name) is read once, here.
    this.saved = new Map((await store.settings.all()).map((s) => [s.key, s.value]));
    this.workspaceSender = (await store.workspace.get())?.sender;
    return store;
  }

  /**
   * A delivery setting: its flag, else its environment variable, else what `config set` saved
   * in the store (when there is one to read).
   */
  setting(key: SettingKey): ResolvedSetting | undefined {
    const flag = { smtp: this.flags.smtp, 'smtp-password-file': this.flags.smtpPasswordFile, 'smtp-ca-file': this.flags.smtpCaFile, 'smtp-helo': this.flags.smtpHelo, 'smtp-rate': this.flags.rate }[key];
    if (flag !== undefined) return { value: flag, source: 'flag' };
    const env = this.env[SETTINGS[key].env];
    if (env) return { value: env, source: 'environment' };
    const saved = this.savedSettings()?.get(key);
    return saved === undefined ? undefined : { value: saved, source: 'saved' };
  }

  /** What `config set` saved, read when the store opened (none before, or without a store: doctor, a first `init`). */
  private savedSettings(): Map<string, string> | undefined {
    return this.saved;
  }

  smtpUrl(): string | undefined {
    return this.setting('smtp')?.value;
  }

  /** The global flags this run was given, for a hint that must work as printed (`--db`, delivery flags). */
  givenFlags(overrides: { smtp?: string } = {}): string {
    const parts: string[] = [];
    const add = (flag: string, value: string | undefined) => value !== undefined && parts.push(`${flag} ${shellQuote(value)}`);
    add('--db', this.flags.db);
    // A corrected URL (a scheme mix-up) replaces the one this run was given, or was saved.
    add('--smtp', overrides.smtp ?? (this.flags.smtp && describeSmtp(parseSmtpUrl(this.flags.smtp))));
    add('--smtp-password-file', this.flags.smtpPasswordFile);
    add('--smtp-ca-file', this.flags.smtpCaFile);
    add('--smtp-helo', this.flags.smtpHelo);
    add('--rate', this.flags.rate);
    return parts.map((p) => ` ${p}`).join('');
  }

  /** A command to suggest: `cerby-guests` with the global flags this run was given. */
  hint(command: string, overrides: { smtp?: string } = {}): string {
    return `cerby-guests${this.givenFlags(overrides)} ${command}`;
  }

  mailer(concurrency = 1): Mailer {
    if (!this.openedMailer) {
      const url = this.smtpUrl();
      if (this.providers.mailer) this.openedMailer = this.providers.mailer(this, concurrency);
      else if (url) {
        // Many connections means a run of many messages: its SMTP pool gets a thread of its own.
        const Smtp = concurrency > 1 ? ThreadedSmtpMailer : SmtpMailer;
        this.openedMailer = new Smtp(this.smtpConfig(url), {
          maxConnections: concurrency,
          connectionTimeout: positiveInt(this.env.CERBY_GUESTS_SMTP_TIMEOUT_MS) ?? 10_000,
          // An implicit-TLS port never greets a plain client: a few seconds, then a TLS probe says so (< 10 s in all).
          greetingTimeout: positiveInt(this.env.CERBY_GUESTS_SMTP_TIMEOUT_MS) ?? 6_000,
          socketTimeout: positiveInt(this.env.CERBY_GUESTS_SMTP_TIMEOUT_MS) ?? 30_000,
        });
      } else {
        this.openedMailer = new FolderMailer(this.outboxFolder, (m) => this.reporter.warn(m));
      }
    }
    return this.openedMailer;
  }

  /**
   * The SMTP server as the settings describe it: URL, password file, a private CA, and the EHLO
   * name (`smtp-helo`, else the workspace sender's domain, else the machine's name).
   */
  smtpConfig(url: string): SmtpConfig {
    const config = parseSmtpUrl(url, this.setting('smtp-password-file')?.value);
    const caFile = this.setting('smtp-ca-file')?.value;
    if (caFile !== undefined) {
      config.caFile = SETTINGS['smtp-ca-file'].check(caFile, this.cwd);
      config.ca = readCaFile(config.caFile);
    }
    const helo = this.setting('smtp-helo')?.value;
    config.name = helo !== undefined ? SETTINGS['smtp-helo'].check(helo, this.cwd) : this.senderDomain();
    return config;
  }

  /** The workspace sender's domain (ASCII), when there is a workspace to ask. */
  private senderDomain(): string | undefined {
    try {
      return this.workspaceSender ? address(this.workspaceSender).ascii.split('@').pop() : undefined;
    } catch {
      return undefined;
    }
  }

  /** For `smoke`: deliver through a mailer of its own (it tees the message to a file). */
  useMailer(mailer: Mailer): void {
    this.openedMailer = mailer;
  }

  deliveryOptions(concurrency = 1): DeliveryOptions {
    return {
      concurrency,
      maxAttempts: positiveInt(this.env.CERBY_GUESTS_SEND_ATTEMPTS) ?? 3,
      backoffMs: positiveInt(this.env.CERBY_GUESTS_RETRY_BASE_MS) ?? 500,
      deadlineMs: positiveInt(this.env.CERBY_GUESTS_SEND_DEADLINE_MS) ?? 120_000,
      ratePerSecond: this.rate(),
      monotonic: this.monotonic,
      log: this.verbose ? (line) => this.reporter.detail(line) : undefined,
    };
  }

  /** This process as a lease owner names it, and the liveness check for other owners. */
  get processes(): Processes | undefined {
    return this.deps.processes;
  }

  /**
   * While a long run works, the first SIGINT/SIGTERM/SIGHUP is handed to `stop` (and
   * remembered for the exit code) instead of ending the process. Returns the function that
   * stops listening.
   */
  interruptible(stop: (interruption: Interrupted) => void): () => void {
    return (
      this.deps.interrupts?.listen((signal) => {
        this.interruption = new Interrupted(signal);
        stop(this.interruption);
      }) ?? (() => {})
    );
  }

  /** Emails a second under `--rate` / `smtp-rate`; undefined for no limit. */
  private rate(): number | undefined {
    const rate = this.setting('smtp-rate')?.value;
    if (rate === undefined) return undefined;
    return perSecond(SETTINGS['smtp-rate'].check(rate, this.cwd));
  }

  async close(): Promise<void> {
    this.openedMailer?.close();
    await this.ownedStore?.close();
  }
}

function positiveInt(text: string | undefined): number | undefined {
  if (!text) return undefined;
  const n = Number(text);
  return Number.isInteger(n) && n > 0 ? n : undefined;
}

function shellQuote(text: string): string {
  return /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}
