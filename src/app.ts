import path from 'node:path';
import type { ChalkInstance } from 'chalk';
import { colorLevel, makeChalk } from './color.js';
import type { Ctx, Deps } from './deps.js';
import type { DeliveryOptions } from './delivery/deliver.js';
import { UsageError } from './errors.js';
import { FolderMailer, outboxFolderFor, SmtpMailer, type Mailer } from './mail/mailer.js';
import { parseSmtpUrl } from './mail/smtp-config.js';
import { resolveActor, type Actor } from './permissions.js';
import { openStore, type Store } from './store/store.js';
import type { Workspace } from './store/types.js';

export const DEFAULT_DB = 'cerby-guests.db';

/** The global flags of SPEC §8, as commander parsed them. */
export interface GlobalOptions {
  db?: string;
  smtp?: string;
  smtpPasswordFile?: string;
  as?: string;
  json?: boolean;
  color?: boolean;
  verbose?: boolean;
}

/**
 * One invocation: the injected deps plus what the global flags decided. The store and the
 * mailer are opened on first use, so `--help` or a usage error never touches the disk.
 */
export class App implements Ctx {
  readonly io: Deps['io'];
  readonly prompter: Deps['prompter'];
  readonly now: Deps['now'];
  readonly env: Deps['env'];
  readonly cwd: string;
  readonly version: string;
  readonly color: ChalkInstance;
  readonly colorErr: ChalkInstance;
  readonly json: boolean;
  readonly dbPath: string;
  /** What the command decided; runCli returns it. */
  exitCode = 0;
  private openedStore?: Store;
  private openedMailer?: Mailer;

  constructor(
    readonly deps: Deps,
    readonly globals: GlobalOptions,
  ) {
    this.io = deps.io;
    this.prompter = deps.prompter;
    this.now = deps.now;
    this.env = deps.env;
    this.cwd = deps.cwd;
    this.version = deps.version;
    this.color = makeChalk(colorLevel(deps.io.stdoutIsTTY, deps.env, globals.color));
    this.colorErr = makeChalk(colorLevel(deps.io.stderrIsTTY, deps.env, globals.color));
    this.json = globals.json === true;
    this.dbPath = path.resolve(deps.cwd, globals.db ?? deps.env.CERBY_GUESTS_DB ?? DEFAULT_DB);
  }

  /** How to name this store in a command we suggest. */
  private dbFlag(): string {
    const given = this.globals.db ?? this.env.CERBY_GUESTS_DB;
    return given ? ` --db ${shellQuote(given)}` : '';
  }

  initHint(): string {
    return `cerby-guests${this.dbFlag()} init --workspace NAME --owner EMAIL`;
  }

  store(): Store {
    if (!this.openedStore) {
      try {
        this.openedStore = openStore(this.dbPath, {
          create: false,
          notice: (m) => this.warn(m),
          // Testing aid (documented in README): a store that runs out of room without a full disk.
          maxPageCount: positiveInt(this.env.CERBY_GUESTS_TEST_MAX_PAGES),
        });
      } catch (error) {
        if (error instanceof UsageError && error.message.startsWith('no cerby-guests store')) {
          throw new UsageError(`no workspace yet at ${this.dbPath}: run \`${this.initHint()}\` first`);
        }
        throw error;
      }
    }
    return this.openedStore;
  }

  /** Only `init` creates the store. */
  createStore(): Store {
    this.openedStore ??= openStore(this.dbPath, { create: true, notice: (m) => this.warn(m) });
    return this.openedStore;
  }

  workspace(): Workspace {
    const workspace = this.store().workspace.get();
    if (!workspace) throw new UsageError(`no workspace yet in ${this.dbPath}: run \`${this.initHint()}\` first`);
    return workspace;
  }

  actor(): Actor {
    return resolveActor(this.store(), this.globals.as ?? this.env.CERBY_GUESTS_ACTOR);
  }

  smtpUrl(): string | undefined {
    return this.globals.smtp ?? (this.env.CERBY_GUESTS_SMTP_URL || undefined);
  }

  mailer(concurrency = 1): Mailer {
    if (!this.openedMailer) {
      const url = this.smtpUrl();
      if (url) {
        const passwordFile = this.globals.smtpPasswordFile ?? (this.env.CERBY_GUESTS_SMTP_PASSWORD_FILE || undefined);
        this.openedMailer = new SmtpMailer(parseSmtpUrl(url, passwordFile), {
          maxConnections: concurrency,
          connectionTimeout: positiveInt(this.env.CERBY_GUESTS_SMTP_TIMEOUT_MS) ?? 10_000,
          socketTimeout: positiveInt(this.env.CERBY_GUESTS_SMTP_TIMEOUT_MS) ?? 30_000,
        });
      } else {
        this.openedMailer = new FolderMailer(outboxFolderFor(this.dbPath), (m) => this.warn(m));
      }
    }
    return this.openedMailer;
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
      log: this.globals.verbose ? (line) => this.info(`${this.colorErr.dim('·')} ${line}`) : undefined,
    };
  }

  /** A success line on stderr: the terminal's version of the web app's success box. */
  success(line: string): void {
    this.io.stderr.write(`${this.colorErr.green('✓')} ${line}\n`);
  }

  info(line: string): void {
    this.io.stderr.write(`${line}\n`);
  }

  warn(line: string): void {
    this.io.stderr.write(`${this.colorErr.yellow('!')} ${line}\n`);
  }

  close(): void {
    this.openedMailer?.close();
    this.openedStore?.close();
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
