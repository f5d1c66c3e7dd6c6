import type Database from 'better-sqlite3';
import { addressKey } from '../address.js';
import { UsageError } from '../errors.js';
import { displayText } from '../validate.js';

/**
 * Ordered schema migrations. Version N is `migrations[N-1]`; `PRAGMA user_version`
 * records how many have run. Never edit a shipped migration: append a new one. A migration
 * is SQL, or a function for what SQL cannot do (IDNA); all run in one transaction.
 */
export type Migration = string | ((db: Database.Database) => void);

export const migrations: readonly Migration[] = [
  // 1: workspace, members, guests with their invites, temporary-password hashes, outbox, audit trail.
  `
  CREATE TABLE workspace (
    id                 INTEGER PRIMARY KEY CHECK (id = 1),
    name               TEXT NOT NULL,
    sign_in_url        TEXT NOT NULL,
    sender             TEXT NOT NULL,
    invite_ttl_seconds INTEGER NOT NULL CHECK (invite_ttl_seconds > 0),
    hmac_key           BLOB NOT NULL,
    instance_id        TEXT NOT NULL,
    created_at         TEXT NOT NULL
  );

  CREATE TABLE members (
    id         INTEGER PRIMARY KEY,
    email      TEXT NOT NULL,
    email_key  TEXT NOT NULL UNIQUE,
    role       TEXT NOT NULL CHECK (role IN ('owner', 'super_admin', 'admin', 'user')),
    added_by   TEXT,
    created_at TEXT NOT NULL
  );

  CREATE TABLE guests (
    id              INTEGER PRIMARY KEY,
    email           TEXT NOT NULL,
    email_key       TEXT NOT NULL UNIQUE,
    name            TEXT,
    family_name     TEXT,
    status          TEXT NOT NULL CHECK (status IN ('pending', 'joined', 'revoked')),
    invited_by      TEXT NOT NULL,
    invited_via     TEXT NOT NULL DEFAULT 'members' CHECK (invited_via IN ('members', 'importer', 'partner')),
    message         TEXT,
    invited_at      TEXT NOT NULL,
    last_sent_at    TEXT,
    send_count      INTEGER NOT NULL DEFAULT 0,
    expires_at      TEXT NOT NULL,
    joined_at       TEXT,
    revoked_at      TEXT,
    last_message_id INTEGER
  );
  CREATE INDEX guests_status ON guests (status, expires_at);

  -- Hashes only (HMAC-SHA-256 keyed with workspace.hmac_key): the plaintext exists only in the email.
  -- A password is valid while its send_number is the guest's current send_count.
  CREATE TABLE temp_passwords (
    id          INTEGER PRIMARY KEY,
    guest_id    INTEGER NOT NULL REFERENCES guests (id) ON DELETE CASCADE,
    send_number INTEGER NOT NULL,
    hash        TEXT NOT NULL,
    created_at  TEXT NOT NULL
  );
  CREATE INDEX temp_passwords_guest ON temp_passwords (guest_id, send_number);

  -- One row per email. Recorded in the same transaction as its invite, before any SMTP traffic.
  CREATE TABLE outbox (
    id               INTEGER PRIMARY KEY,
    guest_id         INTEGER NOT NULL REFERENCES guests (id) ON DELETE CASCADE,
    send_number      INTEGER NOT NULL,
    message_id       TEXT NOT NULL UNIQUE,
    recipient        TEXT NOT NULL,
    inviter          TEXT NOT NULL,
    custom_message   TEXT,
    expires_at       TEXT NOT NULL,
    state            TEXT NOT NULL DEFAULT 'queued'
                     CHECK (state IN ('queued', 'sending', 'sent', 'failed', 'unknown')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  TEXT NOT NULL,
    lease_owner      TEXT,
    lease_expires_at TEXT,
    last_error       TEXT,
    smtp_response    TEXT,
    file_path        TEXT,
    created_at       TEXT NOT NULL,
    sent_at          TEXT,
    UNIQUE (guest_id, send_number)
  );
  CREATE INDEX outbox_due ON outbox (state, next_attempt_at);

  CREATE TABLE audit (
    id     INTEGER PRIMARY KEY,
    at     TEXT NOT NULL,
    actor  TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT,
    detail TEXT
  );
  CREATE INDEX audit_target ON audit (target);
  `,
  // 2: local partners, accounts and sharing, the Password Manager Importer, workspace domains.
  `
  CREATE TABLE workspace_domains (domain TEXT PRIMARY KEY);
  INSERT OR IGNORE INTO workspace_domains (domain)
    SELECT lower(substr(email, instr(email, '@') + 1)) FROM members WHERE role = 'owner';

  CREATE TABLE partners (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    name_key   TEXT NOT NULL UNIQUE,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL
  );

  -- Workspace members who manage a partner and share accounts with it.
  CREATE TABLE partner_hosts (
    partner_id INTEGER NOT NULL REFERENCES partners (id) ON DELETE CASCADE,
    email_key  TEXT NOT NULL,
    email      TEXT NOT NULL,
    added_by   TEXT NOT NULL,
    added_at   TEXT NOT NULL,
    PRIMARY KEY (partner_id, email_key)
  );

  ALTER TABLE guests ADD COLUMN partner_id INTEGER REFERENCES partners (id);
  ALTER TABLE guests ADD COLUMN partner_role TEXT CHECK (partner_role IN ('guest_user', 'guest_admin'));

  -- Shared items. No secret values: this tool manages who has access, not the credentials.
  CREATE TABLE accounts (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    name_key   TEXT NOT NULL UNIQUE,
    url        TEXT,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL
  );

  CREATE TABLE account_shares (
    id         INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    partner_id INTEGER REFERENCES partners (id) ON DELETE CASCADE,
    guest_id   INTEGER REFERENCES guests (id) ON DELETE CASCADE,
    role       TEXT NOT NULL CHECK (role IN ('manager', 'user')),
    shared_by  TEXT NOT NULL,
    shared_at  TEXT NOT NULL,
    CHECK ((partner_id IS NULL) <> (guest_id IS NULL))
  );
  CREATE UNIQUE INDEX account_shares_partner ON account_shares (account_id, partner_id) WHERE partner_id IS NOT NULL;
  CREATE UNIQUE INDEX account_shares_guest ON account_shares (account_id, guest_id) WHERE guest_id IS NOT NULL;

  -- Password Manager Importer migrations. The export's password, totp and extra columns are never stored.
  CREATE TABLE imports (
    id               INTEGER PRIMARY KEY,
    source           TEXT NOT NULL,
    file             TEXT NOT NULL,
    permissions_file TEXT,
    status           TEXT NOT NULL CHECK (status IN ('succeeded', 'failed')),
    items            INTEGER NOT NULL,
    permissions      INTEGER NOT NULL,
    errors           TEXT,
    created_by       TEXT NOT NULL,
    created_at       TEXT NOT NULL
  );
  CREATE TABLE import_items (
    id         INTEGER PRIMARY KEY,
    import_id  INTEGER NOT NULL REFERENCES imports (id) ON DELETE CASCADE,
    line       INTEGER NOT NULL,
    name       TEXT NOT NULL,
    url        TEXT,
    folder     TEXT NOT NULL,
    account_id INTEGER REFERENCES accounts (id)
  );
  CREATE TABLE import_permissions (
    id         INTEGER PRIMARY KEY,
    import_id  INTEGER NOT NULL REFERENCES imports (id) ON DELETE CASCADE,
    line       INTEGER NOT NULL,
    folder     TEXT NOT NULL,
    email      TEXT NOT NULL,
    email_key  TEXT NOT NULL,
    permission TEXT NOT NULL CHECK (permission IN ('read_only', 'hide_passwords', 'admin'))
  );
  `,
  // 3: the guest's side: sign-in failures and lockout, own password, Terms of Service, MFA,
  // client apps, trusted devices; the workspace's password policy.
  `
  ALTER TABLE workspace ADD COLUMN password_min_length INTEGER NOT NULL DEFAULT 15 CHECK (password_min_length >= 8);
  ALTER TABLE workspace ADD COLUMN mfa_required INTEGER NOT NULL DEFAULT 1;

  ALTER TABLE guests ADD COLUMN failed_signins INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE guests ADD COLUMN locked_at TEXT;

  CREATE TABLE guest_credentials (
    guest_id         INTEGER PRIMARY KEY REFERENCES guests (id) ON DELETE CASCADE,
    -- scrypt$N$r$p$salt$hash: the parameters travel with the hash.
    password_hash    TEXT NOT NULL,
    password_set_at  TEXT NOT NULL,
    tos_accepted_at  TEXT,
    -- The TOTP secret, AES-256-GCM under a key derived (scrypt) from the guest's own password:
    -- the store alone never reveals it.
    totp_secret_enc  TEXT,
    totp_last_step   INTEGER,
    mfa_enabled_at   TEXT,
    apps             TEXT,
    apps_recorded_at TEXT
  );

  CREATE TABLE trusted_devices (
    id            INTEGER PRIMARY KEY,
    guest_id      INTEGER NOT NULL REFERENCES guests (id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    registered_at TEXT NOT NULL
  );
  `,
  // 4: one guarded place for every state change (SPEC §10), one identity per address.
  migrateToGuardedTransitions,
  // 5: delivery an admin can deploy: saved delivery settings; each email remembers where it
  // must go (SMTP or the outbox folder) and carries an opaque token for its join link.
  `
  CREATE TABLE settings (
    key        TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    updated_at TEXT NOT NULL
  );

  -- 'smtp' or 'folder': a message bound for SMTP is never written to a file because a flag was
  -- missing. Older messages were sent wherever the flags of their run said: NULL, either route.
  ALTER TABLE outbox ADD COLUMN route TEXT CHECK (route IN ('smtp', 'folder'));
  -- Random, so a link or Message-ID gives nothing away (no sequential ids).
  ALTER TABLE outbox ADD COLUMN link_token TEXT;
  `,
  // 6: the guest's answers for steps not reached yet (client apps, device name), kept for when
  // MFA lets them run: the CI recipe's second call needs only the password and a code.
  `
  ALTER TABLE guest_credentials ADD COLUMN pending_apps TEXT;
  ALTER TABLE guest_credentials ADD COLUMN pending_device TEXT;
  `,
  // 7: an email's states are indexed only where a query looks (due ones, and leases in flight):
  // a send's three transitions then rewrite one small index instead of moving an entry across
  // a whole-table one each time (fewer pages per commit; most emails end up sent).
  `
  DROP INDEX outbox_due;
  CREATE INDEX outbox_queued ON outbox (next_attempt_at, id) WHERE state = 'queued';
  CREATE INDEX outbox_sending ON outbox (id) WHERE state = 'sending';
  `,
];

/**
 * Where an address identity is stored; `scope` is the rest of a unique key that includes it;
 * `other` matches values of the column that are not addresses (left as they are).
 */
const ADDRESS_KEYS: readonly { table: string; column: string; unique: boolean; scope?: string; other?: RegExp }[] = [
  { table: 'members', column: 'email_key', unique: true },
  { table: 'guests', column: 'email_key', unique: true },
  { table: 'partner_hosts', column: 'email_key', unique: true, scope: 'partner_id' },
  { table: 'import_permissions', column: 'email_key', unique: false },
  // Also `partner:NAME`, `account:NAME`, `import:ID`, `domain:NAME`: a name may contain an @.
  { table: 'audit', column: 'target', unique: false, other: /^[a-z]+:/ },
];

function migrateToGuardedTransitions(db: Database.Database): void {
  db.exec(`
  ALTER TABLE guests ADD COLUMN version INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE guests ADD COLUMN setup TEXT NOT NULL DEFAULT 'temporary_password'
    CHECK (setup IN ('temporary_password', 'own_password', 'terms_accepted', 'mfa_on', 'apps_recorded', 'device_trusted'));

  -- A password set before the guest's current invite was sent has been superseded by it: the
  -- new temporary password starts the account over (the rule before this version, now stored).
  DELETE FROM guest_credentials WHERE password_set_at < (
    SELECT min(t.created_at) FROM temp_passwords t JOIN guests g ON g.id = t.guest_id
     WHERE t.guest_id = guest_credentials.guest_id AND t.send_number = g.send_count);

  UPDATE guests SET setup = coalesce((
    SELECT CASE
             WHEN c.tos_accepted_at IS NULL THEN 'own_password'
             WHEN c.mfa_enabled_at IS NULL THEN 'terms_accepted'
             WHEN c.apps IS NULL THEN 'mfa_on'
             WHEN NOT EXISTS (SELECT 1 FROM trusted_devices d WHERE d.guest_id = c.guest_id) THEN 'apps_recorded'
             ELSE 'device_trusted'
           END
      FROM guest_credentials c WHERE c.guest_id = guests.id), 'temporary_password');

  -- When its SMTP transaction (or file) started: only such a message can be in doubt after a crash.
  ALTER TABLE outbox ADD COLUMN handover_at TEXT;
  -- Its earlier password may be in the guest's inbox: a retry adds a password, never replaces it.
  ALTER TABLE outbox ADD COLUMN in_doubt INTEGER NOT NULL DEFAULT 0;
  UPDATE outbox SET in_doubt = 1 WHERE state = 'unknown';

  -- Every transition of an email, written with it (the guest's own events are in audit).
  CREATE TABLE outbox_events (
    id         INTEGER PRIMARY KEY,
    outbox_id  INTEGER NOT NULL REFERENCES outbox (id) ON DELETE CASCADE,
    at         TEXT NOT NULL,
    actor      TEXT NOT NULL,
    event      TEXT NOT NULL,
    from_state TEXT NOT NULL,
    to_state   TEXT NOT NULL,
    detail     TEXT
  );
  CREATE INDEX outbox_events_message ON outbox_events (outbox_id);
  `);

  // First every new key and every collision, then the writes: a refused migration changes nothing.
  const collisions: string[] = [];
  const updates: { table: string; column: string; rowid: number; key: string }[] = [];
  for (const { table, column, unique, scope, other } of ADDRESS_KEYS) {
    const rows = db.prepare(`SELECT rowid AS rowid, ${column} AS old, ${scope ?? 'NULL'} AS scope FROM ${table} WHERE ${column} IS NOT NULL`).all() as {
      rowid: number;
      old: string;
      scope: unknown;
    }[];
    const spellings = new Map<string, string[]>();
    for (const row of rows) {
      if (other?.test(row.old)) continue;
      // An invisible character stored by an older version is no part of the identity (new input
      // refuses them): dropped here, so the row meets the one it imitates, as a collision.
      const key = addressKey(row.old.replace(INVISIBLE, ''));
      if (key !== row.old) updates.push({ table, column, rowid: row.rowid, key });
      if (unique) {
        const id = `${String(row.scope)}\u0000${key}`;
        spellings.set(id, [...(spellings.get(id) ?? []), row.old]);
      }
    }
    for (const [id, olds] of spellings) {
      if (olds.length > 1) collisions.push(`${table} ${olds.map((o) => `"${displayText(o)}"`).join(' and ')} → "${displayText(id.split('\u0000')[1]!)}"`);
    }
  }
  if (collisions.length) {
    throw new UsageError(
      `cannot upgrade this store: these rows would become one address (NFC, lower-case, IDNA domain) and merging people is your decision: ${collisions.join('; ')}. Nothing was changed, and the previous cerby-guests version still opens it`,
    );
  }
  for (const { table, column, rowid, key } of updates) db.prepare(`UPDATE ${table} SET ${column} = ? WHERE rowid = ?`).run(key, rowid);
  // Shown addresses in NFC, as new ones are.
  for (const table of ['members', 'guests', 'partner_hosts']) {
    for (const row of db.prepare(`SELECT rowid AS rowid, email FROM ${table}`).all() as { rowid: number; email: string }[]) {
      const nfc = row.email.normalize('NFC');
      if (nfc !== row.email) db.prepare(`UPDATE ${table} SET email = ? WHERE rowid = ?`).run(nfc, row.rowid);
    }
  }
}

const INVISIBLE = /\p{Cf}/gu;

export const SCHEMA_VERSION = migrations.length;
