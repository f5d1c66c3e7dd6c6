import type { Store } from './store.js';

export interface GuestCredentials {
  guestId: number;
  passwordHash: string;
  passwordSetAt: string;
  tosAcceptedAt: string | null;
  totpSecretEnc: string | null;
  totpLastStep: number | null;
  mfaEnabledAt: string | null;
  apps: string[] | null;
  appsRecordedAt: string | null;
}

export interface SetupState {
  passwordSet: boolean;
  tosAccepted: boolean;
  mfa: boolean;
  apps: string[] | null;
  trustedDevices: string[];
  complete: boolean;
}

export function getCredentials(store: Store, guestId: number): GuestCredentials | undefined {
  const row = store
    .stmt(
      `SELECT guest_id AS guestId, password_hash AS passwordHash, password_set_at AS passwordSetAt, tos_accepted_at AS tosAcceptedAt,
              totp_secret_enc AS totpSecretEnc, totp_last_step AS totpLastStep, mfa_enabled_at AS mfaEnabledAt,
              apps, apps_recorded_at AS appsRecordedAt
         FROM guest_credentials WHERE guest_id = ?`,
    )
    .get(guestId) as (Omit<GuestCredentials, 'apps'> & { apps: string | null }) | undefined;
  return row ? { ...row, apps: row.apps ? (JSON.parse(row.apps) as string[]) : null } : undefined;
}

export function passwordPolicy(store: Store): { minLength: number; mfaRequired: boolean } {
  const row = store.stmt(`SELECT password_min_length AS minLength, mfa_required AS mfaRequired FROM workspace WHERE id = 1`).get() as {
    minLength: number;
    mfaRequired: number;
  };
  return { minLength: row.minLength, mfaRequired: row.mfaRequired === 1 };
}

export function setPasswordPolicy(store: Store, minLength: number, mfaRequired: boolean): void {
  store.stmt(`UPDATE workspace SET password_min_length = ?, mfa_required = ? WHERE id = 1`).run(minLength, mfaRequired ? 1 : 0);
}

/** Counts a failed sign-in; locks the invite at `limit`. Returns the new count. */
export function recordFailedSignin(store: Store, guestId: number, limit: number, at: string): number {
  const row = store
    .stmt(
      `UPDATE guests SET failed_signins = failed_signins + 1,
              locked_at = CASE WHEN failed_signins + 1 >= @limit AND locked_at IS NULL THEN @at ELSE locked_at END
        WHERE id = @guestId RETURNING failed_signins AS n`,
    )
    .get({ guestId, limit, at }) as { n: number };
  return row.n;
}

/** An admin lifts a lock (a joined guest has no invite to resend). Returns whether it was locked. */
export function unlockGuest(store: Store, guestId: number): boolean {
  return store.stmt(`UPDATE guests SET failed_signins = 0, locked_at = NULL WHERE id = ? AND locked_at IS NOT NULL`).run(guestId).changes === 1;
}

export function resetFailedSignins(store: Store, guestId: number): void {
  store.stmt(`UPDATE guests SET failed_signins = 0 WHERE id = ?`).run(guestId);
}

export function lockState(store: Store, guestId: number): { failedSignins: number; lockedAt: string | null } {
  return store.stmt(`SELECT failed_signins AS failedSignins, locked_at AS lockedAt FROM guests WHERE id = ?`).get(guestId) as {
    failedSignins: number;
    lockedAt: string | null;
  };
}

/**
 * Whether the invite `sendNumber` was issued after `at` (the time the guest set a password):
 * then its temporary password starts the account over. The earliest hash of that send counts
 * (after an uncertain delivery a send may hold two).
 */
export function tempPasswordIssuedAfter(store: Store, guestId: number, sendNumber: number, at: string): boolean {
  const row = store.stmt(`SELECT min(created_at) AS first FROM temp_passwords WHERE guest_id = ? AND send_number = ?`).get(guestId, sendNumber) as {
    first: string | null;
  };
  return row.first !== null && row.first > at;
}

/** Step 4: the guest's own password and names. From now on the temporary password is refused (see runJoin). */
export function setGuestPassword(store: Store, guestId: number, hash: string, name: string, familyName: string, at: string): void {
  store
    .stmt(
      `INSERT INTO guest_credentials (guest_id, password_hash, password_set_at) VALUES (?, ?, ?)
       ON CONFLICT (guest_id) DO UPDATE SET password_hash = excluded.password_hash, password_set_at = excluded.password_set_at`,
    )
    .run(guestId, hash, at);
  store.stmt(`UPDATE guests SET name = ?, family_name = ?, failed_signins = 0 WHERE id = ?`).run(name, familyName, guestId);
}

/** Steps 5 and 6: Terms of Service accepted, the guest has joined. */
export function markJoined(store: Store, guestId: number, at: string): void {
  store.stmt(`UPDATE guest_credentials SET tos_accepted_at = ? WHERE guest_id = ?`).run(at, guestId);
  store.stmt(`UPDATE guests SET status = 'joined', joined_at = ? WHERE id = ?`).run(at, guestId);
}

export function storeTotpSecret(store: Store, guestId: number, encrypted: string): void {
  store.stmt(`UPDATE guest_credentials SET totp_secret_enc = ?, totp_last_step = NULL, mfa_enabled_at = NULL WHERE guest_id = ?`).run(encrypted, guestId);
}

/** Accepts a TOTP step once: only if it is later than the last one used. */
export function useTotpStep(store: Store, guestId: number, step: number, at: string): boolean {
  return (
    store
      .stmt(
        `UPDATE guest_credentials SET totp_last_step = @step, mfa_enabled_at = coalesce(mfa_enabled_at, @at)
          WHERE guest_id = @guestId AND (totp_last_step IS NULL OR totp_last_step < @step)`,
      )
      .run({ guestId, step, at }).changes === 1
  );
}

export function recordApps(store: Store, guestId: number, apps: string[], at: string): void {
  store.stmt(`UPDATE guest_credentials SET apps = ?, apps_recorded_at = ? WHERE guest_id = ?`).run(JSON.stringify(apps), at, guestId);
}

export function addTrustedDevice(store: Store, guestId: number, name: string, at: string): void {
  store.stmt(`INSERT INTO trusted_devices (guest_id, name, registered_at) VALUES (?, ?, ?)`).run(guestId, name, at);
}

export function trustedDevices(store: Store, guestId: number): string[] {
  return (store.stmt(`SELECT name FROM trusted_devices WHERE guest_id = ? ORDER BY id`).all(guestId) as { name: string }[]).map((r) => r.name);
}

export function setupState(store: Store, guestId: number): SetupState {
  const c = getCredentials(store, guestId);
  const devices = trustedDevices(store, guestId);
  const state = {
    passwordSet: c !== undefined,
    tosAccepted: c?.tosAcceptedAt != null,
    mfa: c?.mfaEnabledAt != null,
    apps: c?.apps ?? null,
    trustedDevices: devices,
  };
  return { ...state, complete: state.tosAccepted && state.mfa && state.apps !== null && devices.length > 0 };
}

/** Email keys of joined guests whose setup (MFA, apps, a trusted device) is complete. */
export function emailsWithCompleteSetup(store: Store): Set<string> {
  return new Set(
    (
      store
        .stmt(
          `SELECT g.email_key AS k FROM guest_credentials c JOIN guests g ON g.id = c.guest_id
            WHERE g.status = 'joined' AND c.mfa_enabled_at IS NOT NULL AND c.apps IS NOT NULL
              AND EXISTS (SELECT 1 FROM trusted_devices d WHERE d.guest_id = c.guest_id)`,
        )
        .all() as { k: string }[]
    ).map((r) => r.k),
  );
}
