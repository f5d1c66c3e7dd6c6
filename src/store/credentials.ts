import { atLeast, setupComplete, type SetupState } from '../state/setup.js';
import { jsonRows, type Db } from './db.js';

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

const credentials = (row: CredentialsRow): GuestCredentials => ({
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
  constructor(private readonly db: Db) {}

  // ── temporary passwords (hashes only) ────────────────────────────────────

  async addTempPasswordHash(guestId: number, sendNumber: number, hash: string, at: string): Promise<void> {
    await this.db.run(`INSERT INTO temp_passwords (guest_id, send_number, hash, created_at) VALUES (@guestId, @sendNumber, @hash, @at)`, {
      guestId,
      sendNumber,
      hash,
      at,
    });
  }

  /** Many sends' hashes in one statement (a batch of new invites). */
  async addTempPasswordHashes(rows: readonly { guestId: number; sendNumber: number; hash: string; at: string }[]): Promise<void> {
    if (rows.length === 0) return;
    const source = jsonRows(this.db.dialect, 'rows', [
      ['guestId', 'integer'],
      ['sendNumber', 'integer'],
      ['hash', 'text'],
      ['at', 'timestamptz'],
    ]);
    await this.db.run(`INSERT INTO temp_passwords (guest_id, send_number, hash, created_at) SELECT ${source.select} FROM ${source.from}`, { rows: JSON.stringify(rows) });
  }

  /** Replaces the hashes of one send: used when a never-handed-over message is sent with a fresh password. */
  async replaceTempPasswordHash(guestId: number, sendNumber: number, hash: string, at: string): Promise<void> {
    await this.db.run(`DELETE FROM temp_passwords WHERE guest_id = @guestId AND send_number = @sendNumber`, { guestId, sendNumber });
    await this.addTempPasswordHash(guestId, sendNumber, hash, at);
  }

  tempPasswordHashes(guestId: number): Promise<{ sendNumber: number; hash: string }[]> {
    return this.db.all(`SELECT send_number AS "sendNumber", hash FROM temp_passwords WHERE guest_id = @guestId ORDER BY send_number DESC, id DESC`, { guestId });
  }

  // ── the guest's own credentials ──────────────────────────────────────────

  async get(guestId: number): Promise<GuestCredentials | undefined> {
    const row = await this.db.get<CredentialsRow>(
      `SELECT guest_id AS "guestId", password_hash AS "passwordHash", password_set_at AS "passwordSetAt", tos_accepted_at AS "tosAcceptedAt",
              totp_secret_enc AS "totpSecretEnc", totp_last_step AS "totpLastStep", mfa_enabled_at AS "mfaEnabledAt",
              apps, apps_recorded_at AS "appsRecordedAt", pending_apps AS "pendingApps", pending_device AS "pendingDevice"
         FROM guest_credentials WHERE guest_id = @guestId`,
      { guestId },
    );
    return row ? credentials(row) : undefined;
  }

  /** Accepts a TOTP step once: only if it is later than the last one used (a sign-in code, once MFA is on). */
  async useTotpStep(guestId: number, step: number, at: string): Promise<boolean> {
    const changed = await this.db.run(
      `UPDATE guest_credentials SET totp_last_step = @step, mfa_enabled_at = coalesce(mfa_enabled_at, @at)
        WHERE guest_id = @guestId AND (totp_last_step IS NULL OR totp_last_step < @step)`,
      { guestId, step, at },
    );
    return changed === 1;
  }

  async trustedDevices(guestId: number): Promise<string[]> {
    return (await this.db.all<{ name: string }>(`SELECT name FROM trusted_devices WHERE guest_id = @guestId ORDER BY id`, { guestId })).map((r) => r.name);
  }

  async setupReport(guestId: number): Promise<SetupReport> {
    const step = (await this.db.get<{ setup: SetupState }>(`SELECT setup FROM guests WHERE id = @guestId`, { guestId }))!.setup;
    const c = await this.get(guestId);
    return {
      step,
      passwordSet: atLeast(step, 'own_password'),
      tosAccepted: atLeast(step, 'terms_accepted'),
      mfa: atLeast(step, 'mfa_on'),
      apps: atLeast(step, 'apps_recorded') ? (c?.apps ?? []) : null,
      trustedDevices: await this.trustedDevices(guestId),
      complete: setupComplete(step),
    };
  }

  /** Email keys of joined guests whose setup (MFA, apps, a trusted device) is complete. */
  async emailsWithCompleteSetup(): Promise<Set<string>> {
    const rows = await this.db.all<{ k: string }>(`SELECT email_key AS k FROM guests WHERE status = 'joined' AND setup = 'device_trusted'`);
    return new Set(rows.map((r) => r.k));
  }

  // ── failed sign-ins and the lock ─────────────────────────────────────────

  /** Counts a failed sign-in; locks the invite at `limit`. Returns the new count. */
  async recordFailedSignin(guestId: number, limit: number, at: string): Promise<number> {
    const row = await this.db.get<{ n: number }>(
      `UPDATE guests SET failed_signins = failed_signins + 1,
              locked_at = CASE WHEN failed_signins + 1 >= @limit AND locked_at IS NULL THEN @at ELSE locked_at END
        WHERE id = @guestId RETURNING failed_signins AS n`,
      { guestId, limit, at },
    );
    return row!.n;
  }

  /** An admin lifts a lock (a joined guest has no invite to resend). Returns whether it was locked. */
  async unlock(guestId: number): Promise<boolean> {
    return (await this.db.run(`UPDATE guests SET failed_signins = 0, locked_at = NULL WHERE id = @guestId AND locked_at IS NOT NULL`, { guestId })) === 1;
  }

  /** Keeps answers for steps the guest cannot reach yet (apps, device: after MFA). */
  async keepPending(guestId: number, pending: { apps?: string[]; device?: string }): Promise<void> {
    await this.db.run(
      `UPDATE guest_credentials SET pending_apps = coalesce(@apps, pending_apps), pending_device = coalesce(@device, pending_device) WHERE guest_id = @guestId`,
      { guestId, apps: pending.apps ? JSON.stringify(pending.apps) : null, device: pending.device ?? null },
    );
  }

  async resetFailedSignins(guestId: number): Promise<void> {
    await this.db.run(`UPDATE guests SET failed_signins = 0 WHERE id = @guestId`, { guestId });
  }

  async lockState(guestId: number): Promise<{ failedSignins: number; lockedAt: string | null }> {
    return (await this.db.get<{ failedSignins: number; lockedAt: string | null }>(
      `SELECT failed_signins AS "failedSignins", locked_at AS "lockedAt" FROM guests WHERE id = @guestId`,
      { guestId },
    ))!;
  }
}
