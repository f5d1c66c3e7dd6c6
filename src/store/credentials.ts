import { atLeast, setupComplete, type SetupState } from '../state/setup.js';
import type { RowMapper, Sql } from './sql.js';

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
  /** Answers given before their step could run (before MFA was on): applied when it runs. */
  pendingApps: string[] | null;
  pendingDevice: string | null;
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

type CredentialsRow = Omit<GuestCredentials, 'apps' | 'pendingApps'> & { apps: string | null; pendingApps: string | null };

const credentials: RowMapper<CredentialsRow, GuestCredentials> = (row) => ({
  ...row,
  apps: row.apps ? (JSON.parse(row.apps) as string[]) : null,
  pendingApps: row.pendingApps ? (JSON.parse(row.pendingApps) as string[]) : null,
});

/**
 * What a guest signs in with: the temporary passwords' hashes, their own password, TOTP,
 * trusted devices, and the count of failed sign-ins that locks an invite. The steps that move
 * a guest's setup are transitions of the guest (GuestRepository); these are the reads and the
 * sign-in bookkeeping around them.
 */
export class CredentialRepository {
  constructor(private readonly sql: Sql) {}

  // ── temporary passwords (hashes only) ────────────────────────────────────

  addTempPasswordHash(guestId: number, sendNumber: number, hash: string, at: string): void {
    this.sql.stmt(`INSERT INTO temp_passwords (guest_id, send_number, hash, created_at) VALUES (?, ?, ?, ?)`).run(
      guestId,
      sendNumber,
      hash,
      at,
    );
  }

  /** Replaces the hashes of one send: used when a never-handed-over message is sent with a fresh password. */
  replaceTempPasswordHash(guestId: number, sendNumber: number, hash: string, at: string): void {
    this.sql.stmt(`DELETE FROM temp_passwords WHERE guest_id = ? AND send_number = ?`).run(guestId, sendNumber);
    this.addTempPasswordHash(guestId, sendNumber, hash, at);
  }

  tempPasswordHashes(guestId: number): { sendNumber: number; hash: string }[] {
    return this.sql
      .stmt(`SELECT send_number AS sendNumber, hash FROM temp_passwords WHERE guest_id = ? ORDER BY send_number DESC, id DESC`)
      .all(guestId) as { sendNumber: number; hash: string }[];
  }

  // ── the guest's own credentials ──────────────────────────────────────────

  get(guestId: number): GuestCredentials | undefined {
    const row = this.sql
      .stmt(
        `SELECT guest_id AS guestId, password_hash AS passwordHash, password_set_at AS passwordSetAt, tos_accepted_at AS tosAcceptedAt,
              totp_secret_enc AS totpSecretEnc, totp_last_step AS totpLastStep, mfa_enabled_at AS mfaEnabledAt,
              apps, apps_recorded_at AS appsRecordedAt, pending_apps AS pendingApps, pending_device AS pendingDevice
         FROM guest_credentials WHERE guest_id = ?`,
      )
      .get(guestId) as CredentialsRow | undefined;
    return row ? credentials(row) : undefined;
  }

  /** Accepts a TOTP step once: only if it is later than the last one used (a sign-in code, once MFA is on). */
  useTotpStep(guestId: number, step: number, at: string): boolean {
    return (
      this.sql
        .stmt(
          `UPDATE guest_credentials SET totp_last_step = @step, mfa_enabled_at = coalesce(mfa_enabled_at, @at)
          WHERE guest_id = @guestId AND (totp_last_step IS NULL OR totp_last_step < @step)`,
        )
        .run({ guestId, step, at }).changes === 1
    );
  }

  trustedDevices(guestId: number): string[] {
    return (this.sql.stmt(`SELECT name FROM trusted_devices WHERE guest_id = ? ORDER BY id`).all(guestId) as { name: string }[]).map((r) => r.name);
  }

  setupReport(guestId: number): SetupReport {
    const step = (this.sql.stmt(`SELECT setup FROM guests WHERE id = ?`).get(guestId) as { setup: SetupState }).setup;
    const c = this.get(guestId);
    return {
      step,
      passwordSet: atLeast(step, 'own_password'),
      tosAccepted: atLeast(step, 'terms_accepted'),
      mfa: atLeast(step, 'mfa_on'),
      apps: atLeast(step, 'apps_recorded') ? (c?.apps ?? []) : null,
      trustedDevices: this.trustedDevices(guestId),
      complete: setupComplete(step),
    };
  }

  /** Email keys of joined guests whose setup (MFA, apps, a trusted device) is complete. */
  emailsWithCompleteSetup(): Set<string> {
    return new Set(
      (this.sql.stmt(`SELECT email_key AS k FROM guests WHERE status = 'joined' AND setup = 'device_trusted'`).all() as { k: string }[]).map((r) => r.k),
    );
  }

  // ── failed sign-ins and the lock ─────────────────────────────────────────

  /** Counts a failed sign-in; locks the invite at `limit`. Returns the new count. */
  recordFailedSignin(guestId: number, limit: number, at: string): number {
    const row = this.sql
      .stmt(
        `UPDATE guests SET failed_signins = failed_signins + 1,
              locked_at = CASE WHEN failed_signins + 1 >= @limit AND locked_at IS NULL THEN @at ELSE locked_at END
        WHERE id = @guestId RETURNING failed_signins AS n`,
      )
      .get({ guestId, limit, at }) as { n: number };
    return row.n;
  }

  /** An admin lifts a lock (a joined guest has no invite to resend). Returns whether it was locked. */
  unlock(guestId: number): boolean {
    return this.sql.stmt(`UPDATE guests SET failed_signins = 0, locked_at = NULL WHERE id = ? AND locked_at IS NOT NULL`).run(guestId).changes === 1;
  }

  /** Keeps answers for steps the guest cannot reach yet (apps, device: after MFA). */
  keepPending(guestId: number, pending: { apps?: string[]; device?: string }): void {
    this.sql
      .stmt(
        `UPDATE guest_credentials SET pending_apps = coalesce(@apps, pending_apps), pending_device = coalesce(@device, pending_device) WHERE guest_id = @guestId`,
      )
      .run({ guestId, apps: pending.apps ? JSON.stringify(pending.apps) : null, device: pending.device ?? null });
  }

  resetFailedSignins(guestId: number): void {
    this.sql.stmt(`UPDATE guests SET failed_signins = 0 WHERE id = ?`).run(guestId);
  }

  lockState(guestId: number): { failedSignins: number; lockedAt: string | null } {
    return this.sql.stmt(`SELECT failed_signins AS failedSignins, locked_at AS lockedAt FROM guests WHERE id = ?`).get(guestId) as {
      failedSignins: number;
      lockedAt: string | null;
    };
  }
}
