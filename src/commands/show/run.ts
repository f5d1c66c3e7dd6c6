import type { Factory } from '../../factory.js';
import { managedGuest } from '../../guests/managed.js';
import { ok, type Result } from '../../result.js';
import type { AuditEntry, GuestListRow } from '../../store/types.js';
import type { SetupReport } from '../../store/credentials.js';
import { iso } from '../../time.js';
import { emailKey } from '../../validate.js';

export interface GuestDetails extends GuestListRow {
  invitedVia: string;
  message: string | null;
  revokedAt: string | null;
  messages: { messageId: string; sendNumber: number; state: string; attempts: number; sentAt: string | null; lastError: string | null; file: string | null }[];
  history: AuditEntry[];
  setup: SetupReport;
  /** Sign-in failures since the last success, and when the 5th locked the account (null: not locked). */
  signIn: { failures: number; lockedAt: string | null };
}

export async function runShow(opts: { email: string }, f: Factory): Promise<Result<GuestDetails>> {
  const { store, guest } = await managedGuest(f, opts.email, 'show');
  const row = (await store.guests.list({ search: guest.email, now: iso(f.now()), partnerId: guest.partnerId ?? undefined })).find((r) => emailKey(r.email) === emailKey(guest.email))!;
  return ok({
    ...row,
    invitedVia: guest.invitedVia,
    message: guest.message,
    revokedAt: guest.revokedAt,
    messages: (await store.outbox.ofGuest(guest.id)).map((m) => ({
      messageId: m.messageId,
      sendNumber: m.sendNumber,
      state: m.state,
      attempts: m.attempts,
      sentAt: m.sentAt,
      lastError: m.lastError,
      file: m.filePath,
    })),
    history: await store.audit.forTarget(emailKey(guest.email)),
    setup: await store.credentials.setupReport(guest.id),
    signIn: (({ failedSignins, lockedAt }) => ({ failures: failedSignins, lockedAt }))(await store.credentials.lockState(guest.id)),
  });
}
