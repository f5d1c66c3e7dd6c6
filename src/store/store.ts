import fs from 'node:fs';
import { createRequire } from 'node:module';
import type Database from 'better-sqlite3';
import { FailureError, UsageError } from '../errors.js';
import { migrations, SCHEMA_VERSION } from './migrations.js';
import { Sql } from './sql.js';
import type {
  AuditEntry,
  Guest,
  GuestListRow,
  GuestStatus,
  InvitedVia,
  Member,
  MemberRole,
  PartnerRole,
  OutboxMessage,
  OutboxState,
  Workspace,
} from './types.js';

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
export function openStore(path: string, options: OpenStoreOptions): Store {
  let stat: fs.Stats | undefined;
  try {
    // Follows the path the user gave: their own symbolic link to their store is fine.
    stat = fs.statSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' && code !== 'ENOTDIR') throw new FailureError(`cannot open the store ${path}: ${code ?? String(error)}`);
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
      throw new FailureError(`cannot create the store ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
    }
  } else {
    checkHeader(path);
    tightenModes(path, options.notice);
  }
  let db: Database.Database;
  try {
    db = new (loadSqlite())(path);
    db.pragma('busy_timeout = 10000');
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
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
  tightenModes(path, options.notice);
  return new Store(new Sql(db), path);
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

const GUEST_COLUMNS = `
  id, email, name, family_name AS familyName, status, invited_by AS invitedBy, invited_via AS invitedVia,
  message, invited_at AS invitedAt, last_sent_at AS lastSentAt, send_count AS sendCount,
  expires_at AS expiresAt, joined_at AS joinedAt, revoked_at AS revokedAt, last_message_id AS lastMessageId,
  partner_id AS partnerId, partner_role AS partnerRole, version, setup, failed_signins AS failedSignins, locked_at AS lockedAt`;

const OUTBOX_COLUMNS = `
  id, guest_id AS guestId, send_number AS sendNumber, message_id AS messageId, recipient, inviter,
  custom_message AS customMessage, expires_at AS expiresAt, state, attempts, next_attempt_at AS nextAttemptAt,
  lease_owner AS leaseOwner, lease_expires_at AS leaseExpiresAt, last_error AS lastError,
  smtp_response AS smtpResponse, file_path AS filePath, created_at AS createdAt, sent_at AS sentAt,
  handover_at AS handoverAt, in_doubt AS inDoubt`;

export interface NewGuest {
  partnerId?: number | null;
  partnerRole?: PartnerRole | null;
  email: string;
  emailKey: string;
  name: string | null;
  familyName: string | null;
  invitedBy: string;
  invitedVia: InvitedVia;
  message: string | null;
  invitedAt: string;
  expiresAt: string;
}

export interface NewOutboxMessage {
  guestId: number;
  sendNumber: number;
  messageId: string;
  recipient: string;
  inviter: string;
  customMessage: string | null;
  expiresAt: string;
  createdAt: string;
}

export interface GuestFilter {
  status?: GuestStatus;
  search?: string;
  /** Only guests of this partner. */
  partnerId?: number;
  now: string;
}

/**
 * The only owner of SQL. Statements are prepared once, on first use, and take
 * parameters only. Every write that spans several statements goes through `write()`.
 */
export class Store {
  constructor(
    private readonly sql: Sql,
    readonly path: string,
  ) {}

  get db(): Database.Database {
    return this.sql.db;
  }

  close(): void {
    this.sql.close();
  }

  /** A cached prepared statement. For store modules only: other code calls store functions, not SQL. */
  stmt(sql: string): Database.Statement {
    return this.sql.stmt(sql);
  }

  /** Runs `fn` in a BEGIN IMMEDIATE transaction: the write lock is taken up front, so no upgrade deadlock. */
  write<T>(fn: () => T): T {
    return this.sql.write(fn);
  }

  /** A write transaction whose commit is not fsynced: see `Sql.writeRelaxed`. */
  writeRelaxed<T>(fn: () => T): T {
    return this.sql.writeRelaxed(fn);
  }

  /** Runs `fn` in one read transaction: many lookups share one snapshot and one WAL lock. */
  read<T>(fn: () => T): T {
    return this.sql.read(fn);
  }

  schemaVersion(): number {
    return this.sql.db.pragma('user_version', { simple: true }) as number;
  }

  integrityCheck(): string {
    return this.sql.db.pragma('integrity_check', { simple: true }) as string;
  }

  // ── workspace ────────────────────────────────────────────────────────────

  getWorkspace(): Workspace | undefined {
    return this.stmt(
      `SELECT name, sign_in_url AS signInUrl, sender, invite_ttl_seconds AS inviteTtlSeconds,
              hmac_key AS hmacKey, instance_id AS instanceId, created_at AS createdAt
         FROM workspace WHERE id = 1`,
    ).get() as Workspace | undefined;
  }

  createWorkspace(ws: Workspace): void {
    this.stmt(
      `INSERT INTO workspace (id, name, sign_in_url, sender, invite_ttl_seconds, hmac_key, instance_id, created_at)
       VALUES (1, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(ws.name, ws.signInUrl, ws.sender, ws.inviteTtlSeconds, ws.hmacKey, ws.instanceId, ws.createdAt);
  }

  // ── members ──────────────────────────────────────────────────────────────

  findMember(emailKey: string): Member | undefined {
    return this.stmt(
      `SELECT id, email, role, added_by AS addedBy, created_at AS createdAt FROM members WHERE email_key = ?`,
    ).get(emailKey) as Member | undefined;
  }

  firstOwner(): Member | undefined {
    return this.stmt(
      `SELECT id, email, role, added_by AS addedBy, created_at AS createdAt
         FROM members WHERE role = 'owner' ORDER BY id LIMIT 1`,
    ).get() as Member | undefined;
  }

  addMember(email: string, emailKey: string, role: MemberRole, addedBy: string | null, at: string): void {
    this.stmt(`INSERT INTO members (email, email_key, role, added_by, created_at) VALUES (?, ?, ?, ?, ?)`).run(
      email,
      emailKey,
      role,
      addedBy,
      at,
    );
  }

  setMemberRole(emailKey: string, role: MemberRole): void {
    this.stmt(`UPDATE members SET role = ? WHERE email_key = ?`).run(role, emailKey);
  }

  listMembers(): Member[] {
    return this.stmt(
      `SELECT id, email, role, added_by AS addedBy, created_at AS createdAt FROM members ORDER BY id`,
    ).all() as Member[];
  }

  // ── guests ───────────────────────────────────────────────────────────────

  findGuest(emailKey: string): Guest | undefined {
    return this.stmt(`SELECT ${GUEST_COLUMNS} FROM guests WHERE email_key = ?`).get(emailKey) as Guest | undefined;
  }

  getGuest(id: number): Guest | undefined {
    return this.stmt(`SELECT ${GUEST_COLUMNS} FROM guests WHERE id = ?`).get(id) as Guest | undefined;
  }

  /** A new guest with their first send already counted (send number 1). */
  insertGuest(guest: NewGuest): number {
    const result = this.stmt(
      `INSERT INTO guests (email, email_key, name, family_name, status, invited_by, invited_via, message, invited_at, expires_at,
                          last_sent_at, send_count, partner_id, partner_role)
       VALUES (@email, @emailKey, @name, @familyName, 'pending', @invitedBy, @invitedVia, @message, @invitedAt, @expiresAt,
               @invitedAt, 1, @partnerId, @partnerRole)`,
    ).run({ ...guest, partnerId: guest.partnerId ?? null, partnerRole: guest.partnerRole ?? null });
    return Number(result.lastInsertRowid);
  }

  setLastMessage(guestId: number, messageRowId: number): void {
    this.stmt(`UPDATE guests SET last_message_id = ? WHERE id = ?`).run(messageRowId, guestId);
  }

  listGuests(filter: GuestFilter): GuestListRow[] {
    return [...this.iterateGuests(filter)];
  }

  /**
   * The same rows, one at a time: `list` streams 100,000 of them without holding them all.
   * The iterator holds a read statement open: consume it before writing.
   */
  *iterateGuests(filter: GuestFilter): Generator<GuestListRow> {
    const search = filter.search ? `%${filter.search.replace(/[\\%_]/g, (c) => `\\${c}`)}%` : null;
    const statement = this.stmt(
      `SELECT * FROM (
         SELECT g.email, g.name, g.family_name AS familyName,
                CASE WHEN g.status = 'pending' AND g.expires_at <= @now THEN 'expired' ELSE g.status END AS status,
                p.name AS partner, g.partner_role AS partnerRole,
                g.invited_by AS invitedBy, g.invited_at AS invitedAt, g.last_sent_at AS lastSentAt,
                g.send_count AS sendCount, g.expires_at AS expiresAt, g.joined_at AS joinedAt,
                CASE WHEN o.state IS NULL OR o.state = 'sending' THEN 'queued' ELSE o.state END AS delivery
           FROM guests g LEFT JOIN outbox o ON o.id = g.last_message_id LEFT JOIN partners p ON p.id = g.partner_id
          WHERE (@partnerId IS NULL OR g.partner_id = @partnerId)
            AND (@search IS NULL
                 OR g.email LIKE @search ESCAPE '\\'
                 OR g.name LIKE @search ESCAPE '\\'
                 OR g.family_name LIKE @search ESCAPE '\\')
       )
       WHERE @status IS NULL OR status = @status
       ORDER BY invitedAt, email`,
    );
    // Arrays, then objects built here: better-sqlite3's per-row objects cost twice the query (100,000 rows).
    const rows = statement.raw(true).iterate({
      now: filter.now,
      search,
      status: filter.status ?? null,
      partnerId: filter.partnerId ?? null,
    }) as IterableIterator<unknown[]>;
    for (const r of rows) {
      yield {
      email: r[0] as string,
      name: r[1] as string | null,
      familyName: r[2] as string | null,
      status: r[3] as GuestListRow['status'],
      partner: r[4] as string | null,
      partnerRole: r[5] as string | null,
      invitedBy: r[6] as string,
      invitedAt: r[7] as string,
      lastSentAt: r[8] as string | null,
      sendCount: r[9] as number,
      expiresAt: r[10] as string,
      joinedAt: r[11] as string | null,
      delivery: r[12] as GuestListRow['delivery'],
      };
    }
  }

  /** Guests whose invite can be resent: not joined, not revoked; optionally last sent before `sentBefore`. */
  resendableGuests(sentBefore: string | null): Guest[] {
    return this.stmt(
      `SELECT ${GUEST_COLUMNS} FROM guests
        WHERE status = 'pending' AND (@sentBefore IS NULL OR coalesce(last_sent_at, invited_at) <= @sentBefore)
        ORDER BY id`,
    ).all({ sentBefore }) as Guest[];
  }

  // ── temporary passwords (hashes only) ────────────────────────────────────

  addTempPasswordHash(guestId: number, sendNumber: number, hash: string, at: string): void {
    this.stmt(`INSERT INTO temp_passwords (guest_id, send_number, hash, created_at) VALUES (?, ?, ?, ?)`).run(
      guestId,
      sendNumber,
      hash,
      at,
    );
  }

  /** Replaces the hashes of one send: used when a never-handed-over message is sent with a fresh password. */
  replaceTempPasswordHash(guestId: number, sendNumber: number, hash: string, at: string): void {
    this.stmt(`DELETE FROM temp_passwords WHERE guest_id = ? AND send_number = ?`).run(guestId, sendNumber);
    this.addTempPasswordHash(guestId, sendNumber, hash, at);
  }

  tempPasswordHashes(guestId: number): { sendNumber: number; hash: string }[] {
    return this.stmt(
      `SELECT send_number AS sendNumber, hash FROM temp_passwords WHERE guest_id = ? ORDER BY send_number DESC, id DESC`,
    ).all(guestId) as { sendNumber: number; hash: string }[];
  }

  // ── outbox ───────────────────────────────────────────────────────────────

  insertOutboxMessage(message: NewOutboxMessage): number {
    const result = this.stmt(
      `INSERT INTO outbox (guest_id, send_number, message_id, recipient, inviter, custom_message, expires_at, next_attempt_at, created_at)
       VALUES (@guestId, @sendNumber, @messageId, @recipient, @inviter, @customMessage, @expiresAt, @createdAt, @createdAt)`,
    ).run(message);
    return Number(result.lastInsertRowid);
  }

  getOutboxMessage(id: number): OutboxMessage | undefined {
    return this.stmt(`SELECT ${OUTBOX_COLUMNS} FROM outbox WHERE id = ?`).get(id) as OutboxMessage | undefined;
  }

  dueOutboxMessageIds(now: string, limit: number): number[] {
    return (
      this.stmt(`SELECT id FROM outbox WHERE state = 'queued' AND next_attempt_at <= @now ORDER BY next_attempt_at, id LIMIT @limit`).all({
        now,
        limit,
      }) as { id: number }[]
    ).map((r) => r.id);
  }

  /** Messages in this state, oldest first. */
  outboxIdsIn(state: OutboxState): number[] {
    return (this.stmt(`SELECT id FROM outbox WHERE state = ? ORDER BY id`).all(state) as { id: number }[]).map((r) => r.id);
  }

  listOutbox(state?: OutboxState): OutboxMessage[] {
    return this.stmt(
      `SELECT ${OUTBOX_COLUMNS} FROM outbox WHERE @state IS NULL OR state = @state ORDER BY id`,
    ).all({ state: state ?? null }) as OutboxMessage[];
  }

  outboxCounts(): Record<OutboxState, number> {
    const counts: Record<OutboxState, number> = { queued: 0, sending: 0, sent: 0, failed: 0, unknown: 0 };
    for (const row of this.stmt(`SELECT state, count(*) AS n FROM outbox GROUP BY state`).all() as {
      state: OutboxState;
      n: number;
    }[]) {
      counts[row.state] = row.n;
    }
    return counts;
  }

  guestMessages(guestId: number): OutboxMessage[] {
    return this.stmt(`SELECT ${OUTBOX_COLUMNS} FROM outbox WHERE guest_id = ? ORDER BY id`).all(guestId) as OutboxMessage[];
  }

  // ── audit trail ──────────────────────────────────────────────────────────

  audit(entry: AuditEntry): void {
    this.stmt(`INSERT INTO audit (at, actor, action, target, detail) VALUES (?, ?, ?, ?, ?)`).run(
      entry.at,
      entry.actor,
      entry.action,
      entry.target,
      entry.detail ? JSON.stringify(entry.detail) : null,
    );
  }

  auditFor(target: string): AuditEntry[] {
    return (
      this.stmt(`SELECT at, actor, action, target, detail FROM audit WHERE target = ? ORDER BY id`).all(target) as {
        at: string;
        actor: string;
        action: string;
        target: string | null;
        detail: string | null;
      }[]
    ).map((row) => ({ ...row, detail: row.detail ? (JSON.parse(row.detail) as Record<string, unknown>) : null }));
  }
}
