import { atLeast, setupComplete, type SetupState } from '../state/setup.js';
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

/** What `show` and `join` report of a guest's setup. */
export interface SetupReport {
  /** Where the account is in its setup (src/state/setup.ts). */
  step: SetupState;
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

/** Accepts a TOTP step once: only if it is later than the last one used (a sign-in code, once MFA is on). */
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

export function trustedDevices(store: Store, guestId: number): string[] {
  return (store.stmt(`SELECT name FROM trusted_devices WHERE guest_id = ? ORDER BY id`).all(guestId) as { name: string }[]).map((r) => r.name);
}

export function setupState(store: Store, guestId: number): SetupReport {
  const step = (store.stmt(`SELECT setup FROM guests WHERE id = ?`).get(guestId) as { setup: SetupState }).setup;
  const c = getCredentials(store, guestId);
  return {
    step,
    passwordSet: atLeast(step, 'own_password'),
    tosAccepted: atLeast(step, 'terms_accepted'),
    mfa: atLeast(step, 'mfa_on'),
    apps: atLeast(step, 'apps_recorded') ? (c?.apps ?? []) : null,
    trustedDevices: trustedDevices(store, guestId),
    complete: setupComplete(step),
  };
}

/** Email keys of joined guests whose setup (MFA, apps, a trusted device) is complete. */
export function emailsWithCompleteSetup(store: Store): Set<string> {
  return new Set(
    (store.stmt(`SELECT email_key AS k FROM guests WHERE status = 'joined' AND setup = 'device_trusted'`).all() as { k: string }[]).map((r) => r.k),
  );
}
