import fs from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import type Database from 'better-sqlite3';
import { errnoText, FailureError, UsageError } from '../errors.js';
import { migrations, SCHEMA_VERSION } from './migrations.js';
import { Sql } from './sql.js';
import { SqliteDb, type Db, type WriteOptions } from './db.js';
import { AccountRepository } from './accounts.js';
import { AuditRepository } from './audit.js';
import { CredentialRepository } from './credentials.js';
import { GuestRepository } from './guests.js';
import { ImportRepository } from './imports.js';
import { SettingRepository } from './settings.js';
import { MemberRepository } from './members.js';
import { OutboxRepository } from './outbox.js';
import { PartnerRepository } from './partners.js';
import { WorkspaceRepository } from './workspace.js';

export interface OpenStoreOptions {
  /** Create the file (mode 0600) when it does not exist; only `init` does. */
  create: boolean;
  /** Told when the store had to fix something, e.g. loose file permissions. */
  notice?: (message: string) => void;
  /** Testing aid: SQLite's `max_page_count`, so a test can fill the store without filling a disk. */
  maxPageCount?: number;
}

const SQLITE_HEADER = 'SQLite format 3\0';

/** Mode bits a store file must not have: anything for group or others. */
const LOOSE_BITS = 0o077;

export function storeFilePaths(path: string): string[] {
  return [path, `${path}-wal`, `${path}-shm`];
}

/** The store's files must be 0600: fix looser ones (and say so) rather than refuse to work. */
function tightenModes(path: string, notice?: (m: string) => void): void {
  for (const file of storeFilePaths(path)) {
    let mode: number;
    try {
      mode = fs.statSync(file).mode & 0o777;
    } catch {
      continue;
    }
    if (mode & LOOSE_BITS) {
      fs.chmodSync(file, 0o600);
      notice?.(`fixed permissions of ${file}: ${mode.toString(8).padStart(4, '0')} → 0600`);
    }
  }
}

function checkHeader(path: string): void {
  // Non-blocking, and checked again once open: whatever was swapped in meanwhile, a FIFO never hangs us.
  const fd = fs.openSync(path, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK | fs.constants.O_NOCTTY);
  try {
    const stat = fs.fstatSync(fd);
    if (!stat.isFile()) throw new UsageError(`${path} is ${fileKind(stat)}, not a cerby-guests database`);
    const buf = Buffer.alloc(16);
    const n = fs.readSync(fd, buf, 0, 16, 0);
    // A zero-length file is a valid empty database to SQLite.
    if (n > 0 && buf.toString('latin1', 0, n) !== SQLITE_HEADER) {
      throw new UsageError(`${path} is not a cerby-guests database (not an SQLite file)`);
    }
  } finally {
    fs.closeSync(fd);
  }
}

/** What a path that is not a regular file is, for a message. */
function fileKind(stat: fs.Stats): string {
  if (stat.isDirectory()) return 'a directory';
  if (stat.isCharacterDevice()) return 'a character device';
  if (stat.isBlockDevice()) return 'a block device';
  if (stat.isFIFO()) return 'a named pipe (FIFO)';
  if (stat.isSocket()) return 'a socket';
  return 'not a regular file';
}

/**
 * Looks before anything touches the path: a device, FIFO, socket or directory is refused
 * before it is opened, chmodded or given side files. Only `init` (create) makes a store, and
 * it alone may use an existing empty file: to anything else an empty file is no store yet.
 */
/** `:memory:` is a store that lives in this process only (fast tests): no file, no checks. */
export const IN_MEMORY = ':memory:';

/**
 * The store's write-ahead log, for `fsync` from libuv's pool (one file's sync covers every
 * descriptor of it), never through a symbolic link; its folder synced once too, as SQLite does
 * for a new log. The database file itself if there is no log.
 */
async function openLogForSync(path: string): Promise<fs.promises.FileHandle | undefined> {
  if (path === IN_MEMORY) return undefined;
  const flags = fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW;
  const [, log] = storeFilePaths(path);
  const file = await fs.promises.open(log!, flags).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return fs.promises.open(path, flags);
    throw error;
  });
  const folder = await fs.promises.open(dirname(path), fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
  try {
    await folder.sync();
  } finally {
    await folder.close();
  }
  return file;
}

export function openStore(path: string, options: OpenStoreOptions): Store {
  if (path === IN_MEMORY) return openDatabase(path, options);
  let stat: fs.Stats | undefined;
  try {
    // Follows the path the user gave: their own symbolic link to their store is fine.
    stat = fs.statSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' && code !== 'ENOTDIR') throw new FailureError(`cannot open the store ${path}: ${errnoText(code) ?? String(error)}`);
  }
  if (stat && !stat.isFile()) throw new UsageError(`${path} is ${fileKind(stat)}, not a cerby-guests database`);
  const exists = stat !== undefined;
  if ((!exists || stat!.size === 0) && !options.create) {
    throw new UsageError(`no cerby-guests store at ${path}`);
  }
  if (!exists) {
    try {
      fs.closeSync(fs.openSync(path, 'wx', 0o600));
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      // The folder is the user's to make: a store never creates folders it was not asked for.
      if (code === 'ENOENT' || code === 'ENOTDIR') throw new UsageError(`cannot create the store ${path}: the folder ${dirname(path)} does not exist (create it first)`);
      throw new FailureError(`cannot create the store ${path}: ${errnoText(code) ?? String(error)}`);
    }
  } else {
    checkHeader(path);
    tightenModes(path, options.notice);
  }
  const store = openDatabase(path, options);
  tightenModes(path, options.notice);
  return store;
}

function openDatabase(path: string, options: OpenStoreOptions): Store {
  let db: Database.Database;
  try {
    db = new (loadSqlite())(path);
    db.pragma('busy_timeout = 10000');
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    // Checkpoint the WAL every 40 MB rather than 4 MB: a bulk run commits once per email, and
    // each checkpoint syncs and copies; readers are unaffected.
    db.pragma('wal_autocheckpoint = 10000');
    db.pragma('foreign_keys = ON');
    if (options.maxPageCount) db.pragma(`max_page_count = ${Math.trunc(options.maxPageCount)}`);
  } catch (error) {
    throw storeError(path, error);
  }
  try {
    migrate(db, path);
  } catch (error) {
    db.close();
    throw error instanceof UsageError ? error : storeError(path, error);
  }
  const sql = new Sql(db);
  return new Store(new SqliteDb(sql), path, sql);
}

// The native module is loaded when a store is opened, not when the CLI starts: --help stays fast.
let sqlite: typeof Database | undefined;
function loadSqlite(): typeof Database {
  sqlite ??= createRequire(import.meta.url)('better-sqlite3') as typeof Database;
  return sqlite;
}

function storeError(path: string, error: unknown): Error {
  const code = (error as { code?: string }).code;
  if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT') {
    return new UsageError(`${path} is not a cerby-guests database (${code})`);
  }
  return new FailureError(`store ${path}: ${(error as Error).message}`);
}

function migrate(db: Database.Database, path: string): void {
  const run = db.transaction(() => {
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version > SCHEMA_VERSION) {
      throw new UsageError(
        `${path} was written by a newer cerby-guests (schema ${version}; this version knows up to ${SCHEMA_VERSION}): upgrade cerby-guests`,
      );
    }
    if (version === 0) {
      const tables = db.prepare("SELECT count(*) AS n FROM sqlite_schema WHERE type = 'table'").get() as { n: number };
      if (tables.n > 0) throw new UsageError(`${path} is an SQLite file but not a cerby-guests database`);
    }
    for (let v = version; v < SCHEMA_VERSION; v++) {
      const migration = migrations[v]!;
      if (typeof migration === 'string') db.exec(migration);
      else migration(db);
      // PRAGMA takes no parameters; v is an integer we control.
      db.pragma(`user_version = ${v + 1}`);
    }
  });
  run.immediate();
}

/**
 * The only owner of SQL, as one repository per concern, over either database (`Db`: SQLite or
 * PostgreSQL). Other code calls repository methods, never SQL. Every write that spans several
 * statements goes through `write()`, whose function is given the store as seen from inside the
 * transaction: it must use that one (the outer store waits for the transaction to end).
 */
export class Store {
  readonly workspace: WorkspaceRepository;
  readonly members: MemberRepository;
  readonly audit: AuditRepository;
  readonly outbox: OutboxRepository;
  readonly guests: GuestRepository;
  readonly credentials: CredentialRepository;
  readonly partners: PartnerRepository;
  readonly accounts: AccountRepository;
  readonly imports: ImportRepository;
  readonly settings: SettingRepository;
  /** The store inside a transaction, kept while its `Db` is the same (SQLite's is always the same). */
  private inside?: Store;

  constructor(
    readonly db: Db,
    /** Where it is, for messages: a file, or a PostgreSQL URL without its password. */
    readonly path: string,
    /** SQLite's own connection, for what only SQLite has (integrity check, the copy in `migrate`). */
    private readonly sqlite?: Sql,
  ) {
    this.workspace = new WorkspaceRepository(db);
    this.members = new MemberRepository(db);
    this.audit = new AuditRepository(db);
    this.outbox = new OutboxRepository(db);
    this.guests = new GuestRepository(db);
    this.credentials = new CredentialRepository(db);
    this.partners = new PartnerRepository(db);
    this.accounts = new AccountRepository(db);
    this.imports = new ImportRepository(db);
    this.settings = new SettingRepository(db);
  }

  get dialect(): Db['dialect'] {
    return this.db.dialect;
  }

  async close(): Promise<void> {
    const log = await this.logFile?.catch(() => undefined);
    await log?.close();
    return this.db.close();
  }

  private within(tx: Db): Store {
    if (this.inside?.db !== tx) this.inside = new Store(tx, this.path, this.sqlite);
    return this.inside;
  }

  /**
   * Runs `fn` in one write transaction (SQLite: BEGIN IMMEDIATE, the write lock taken up front,
   * so no upgrade deadlock). Inside one already, it is part of that one.
   */
  write<T>(fn: (tx: Store) => Promise<T>, options?: WriteOptions): Promise<T> {
    if (this.db.inTransaction) return fn(this);
    return this.db.write((tx) => fn(this.within(tx)), options);
  }

  /**
   * `fn` in one write transaction, resolved once its commit is on disk (as `write`), without
   * holding this thread while the disk syncs: on SQLite the commit is written unsynced and the
   * write-ahead log then synced on libuv's thread pool, so a bulk run's connections are served
   * meanwhile (a synced commit held the event loop 5–10 ms in this VM); on PostgreSQL an
   * ordinary commit. Inside a transaction already, part of that one.
   */
  async writeDurable<T>(fn: (tx: Store) => Promise<T>): Promise<T> {
    if (!this.sqlite || this.db.inTransaction) return this.write(fn);
    const value = await this.write(fn, { relaxed: true });
    await this.syncLog();
    return value;
  }

  /** The write-ahead log (or the file, with none), opened once for syncing (see `writeDurable`). */
  private logFile?: Promise<fs.promises.FileHandle | undefined>;
  private logSyncing?: Promise<void>;
  private logSyncNext?: Promise<void>;

  /** Every commit so far on disk. Asked for while a sync runs: the next one, shared by all who asked meanwhile. */
  private syncLog(): Promise<void> {
    if (!this.logSyncing) return this.startLogSync();
    // After the one under way, failed or not: a sync that failed is no answer for a later commit.
    this.logSyncNext ??= this.logSyncing
      .catch(() => undefined)
      .then(() => {
        this.logSyncNext = undefined;
        return this.startLogSync();
      });
    return this.logSyncNext;
  }

  private startLogSync(): Promise<void> {
    this.logSyncing = (async () => {
      this.logFile ??= openLogForSync(this.path);
      await (await this.logFile)?.sync();
    })().finally(() => (this.logSyncing = undefined));
    return this.logSyncing;
  }

  /** A write transaction whose commit is not flushed to disk: see `WriteOptions.relaxed`. */
  writeRelaxed<T>(fn: (tx: Store) => Promise<T>): Promise<T> {
    return this.write(fn, { relaxed: true });
  }

  /** Runs `fn` in one read transaction: many lookups share one snapshot. */
  read<T>(fn: (tx: Store) => Promise<T>): Promise<T> {
    if (this.db.inTransaction) return fn(this);
    return this.db.read((tx) => fn(this.within(tx)));
  }

  async schemaVersion(): Promise<number> {
    if (this.sqlite) return this.sqlite.db.pragma('user_version', { simple: true }) as number;
    return (await this.db.get<{ version: number }>(`SELECT version FROM cerby_schema WHERE id = 1`))?.version ?? 0;
  }

  /**
   * Fresh planner statistics for the tables a bulk run grows. PostgreSQL plans a prepared
   * statement from the statistics it has, then keeps a generic plan: a run into a new database
   * prepares its lookups and claims while the tables are nearly empty, and kept plans that scan
   * them until autovacuum next analyzed the tables, a fifth to a third of the way through a
   * 10,000-row run (whose statements took the server 7.3–8.6 s, 4.8–4.9 s with this). An
   * ANALYZE replaces them; it takes no lock that writers wait for. Only a table's owner may
   * analyze it (another role gets a notice, not an error), and a failure costs only speed: it
   * is not the run's business. SQLite plans from its indexes and keeps no statistics unless
   * asked: nothing to do.
   */
  async refreshPlannerStatistics(): Promise<void> {
    if (this.db.dialect !== 'postgres' || this.db.inTransaction) return;
    await this.db.run('ANALYZE outbox, guests').catch(() => undefined);
  }

  /** A PostgreSQL store's server and this connection's TLS (an SQLite store has no server: undefined). */
  async server(): Promise<{ version: string; tls: string | null } | undefined> {
    if (this.db.dialect !== 'postgres') return undefined;
    const row = await this.db.get<{ version: string; ssl: boolean | null; protocol: string | null; cipher: string | null }>(
      `SELECT current_setting('server_version') AS version, s.ssl, s.version AS protocol, s.cipher
         FROM (SELECT 1) AS one LEFT JOIN pg_stat_ssl s ON s.pid = pg_backend_pid()`,
    );
    return { version: row!.version, tls: row!.ssl ? `TLS (${row!.protocol}, ${row!.cipher})` : null };
  }

  /** SQLite's own check of its file (PostgreSQL has none to run: undefined). */
  integrityCheck(): string | undefined {
    return this.sqlite?.db.pragma('integrity_check', { simple: true }) as string | undefined;
  }

  /** SQLite's connection, for the copy in `migrate`; a PostgreSQL store has none. */
  private native(): Sql {
    if (!this.sqlite) throw new Error('only an SQLite store is copied table by table');
    return this.sqlite;
  }

  /** A table's columns, in order (`migrate` copies every one). */
  columns(table: StoreTable): string[] {
    return (this.native().db.pragma(`table_info(${table})`) as { name: string }[]).map((c) => c.name);
  }

  countRows(table: StoreTable): number {
    return (this.native().stmt(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
  }

  /** A table's rows in batches, in insertion order, as arrays of these columns. Use inside `snapshot()`. */
  *rowBatches(table: StoreTable, columns: readonly string[], size = 1000): Generator<unknown[][]> {
    const statement = this.native().db.prepare(`SELECT ${columns.join(', ')} FROM ${table} ORDER BY rowid`).raw(true);
    let batch: unknown[][] = [];
    for (const row of statement.iterate() as Iterable<unknown[]>) {
      batch.push(row);
      if (batch.length >= size) {
        yield batch;
        batch = [];
      }
    }
    if (batch.length) yield batch;
  }

  /**
   * Runs `fn` in one read transaction held across its awaits: every table read in it comes from
   * the same moment, whatever other processes write meanwhile. `fn` reads through this store's
   * own methods (they run inside it); nothing else may write through it until it settles.
   */
  snapshot<T>(fn: () => Promise<T>): Promise<T> {
    this.native();
    return this.db.read(() => fn());
  }

  /**
   * Fills the store's tables in one write transaction held across `fn`'s awaits (a copy from
   * another store): all of it commits, or none. Rows are arrays in the order of `columns`.
   */
  fill<T>(fn: (insert: (table: StoreTable, columns: readonly string[], rows: readonly unknown[][]) => void) => Promise<T>): Promise<T> {
    const sql = this.native();
    return this.db.write(() =>
      fn((table, columns, rows) => {
        const statement = sql.stmt(`INSERT INTO ${table} (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`);
        for (const row of rows) statement.run(row);
      }),
    );
  }
}

/**
 * Every table of a store, in an order in which each table comes after those it references: the
 * order `migrate` copies them in. The PostgreSQL schema has the same tables and columns.
 */
export const STORE_TABLES = [
  'workspace',
  'workspace_domains',
  'members',
  'partners',
  'partner_hosts',
  'guests',
  'temp_passwords',
  'outbox',
  'outbox_events',
  'audit',
  'accounts',
  'account_shares',
  'imports',
  'import_items',
  'import_permissions',
  'guest_credentials',
  'trusted_devices',
  'settings',
] as const;

export type StoreTable = (typeof STORE_TABLES)[number];

/** Columns stored as 0/1 in SQLite and as boolean in PostgreSQL. */
export const BOOLEAN_COLUMNS: ReadonlySet<string> = new Set(['workspace.mfa_required', 'outbox.in_doubt']);
