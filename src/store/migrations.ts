/**
 * Ordered schema migrations. Version N is `migrations[N-1]`; `PRAGMA user_version`
 * records how many have run. Never edit a shipped migration: append a new one.
 */
export const migrations: readonly string[] = [
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
];

export const SCHEMA_VERSION = migrations.length;
