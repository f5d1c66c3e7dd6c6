import { randomBytes } from 'node:crypto';
import type { MessageToSend } from '../delivery/deliver.js';
import { generateTempPassword, hashTempPassword } from '../crypto/temp-password.js';
import type { Store } from '../store/store.js';
import type { Guest, InvitedVia, OutboxRoute, PartnerRole, Workspace } from '../store/types.js';
import { addSeconds, iso } from '../time.js';
import { emailKey } from '../validate.js';

export interface InviteSendRequest {
  email: string;
  name: string | null;
  familyName: string | null;
  message: string | null;
  /** Who does this: recorded in the audit trail; for a new invite also the inviter. */
  actor: string;
  invitedVia: InvitedVia;
  partnerId?: number | null;
  partnerRole?: PartnerRole | null;
  /** The guest's row when the address is known already (re-invite or resend). */
  existing?: Guest;
  action: 'invite' | 'resend';
  /** Where its email must go: the mailer of the run that records it. */
  route?: OutboxRoute;
}

export interface RecordedSend {
  guestId: number;
  sendNumber: number;
  outboxId: number;
  expiresAt: string;
  /** Plaintext: kept in memory only, for the email. Never stored, never printed. */
  tempPassword: string;
  message: MessageToSend;
}

/**
 * A new Message-ID, random and opaque (no guest ids, no counts): stored with the email, so a
 * retry of the same send keeps it; every new send gets its own.
 */
export function newMessageId(workspace: Workspace): string {
  const domain = workspace.sender.slice(workspace.sender.lastIndexOf('@') + 1) || 'cerby-guests.invalid';
  return `<${randomBytes(16).toString('hex')}@${domain}>`;
}

/** What the join link carries: random, names nothing. */
export function newLinkToken(): string {
  return randomBytes(18).toString('base64url');
}

/**
 * Records one send of an invite: the guest (a new row, or the resend / invite-again
 * transition of the existing one, which also cancels its older queued email), a fresh
 * temporary password (its hash only), the outbox message and the audit entry. Must run
 * inside `store.write()` (given its `tx`), so that the invite and its email are stored together, before any
 * SMTP traffic. Returns undefined when the existing guest is no longer as the caller read it.
 */
export async function recordInviteSend(store: Store, workspace: Workspace, now: Date, request: InviteSendRequest): Promise<RecordedSend | undefined> {
  const at = iso(now);
  const expiresAt = iso(addSeconds(now, workspace.inviteTtlSeconds));
  const existing = request.existing;
  const reinvite = request.action === 'invite' && existing !== undefined;
  // A resend keeps the original inviter and message; an invite (new or again) is the actor's.
  const invitedBy = request.action === 'resend' && existing ? existing.invitedBy : request.actor;
  const customMessage = request.action === 'resend' && existing ? existing.message : request.message;
  const partnerId = request.partnerId ?? null;
  const partnerRole = request.partnerRole ?? null;
  const detail = (sendNumber: number) => ({ sendNumber, expiresAt, via: request.invitedVia, ...(partnerId ? { partnerId, partnerRole } : {}) });
  let guestId: number;
  let sendNumber: number;
  if (existing === undefined) {
    const inserted = await store.guests.insert({
      email: request.email,
      emailKey: emailKey(request.email),
      name: request.name,
      familyName: request.familyName,
      invitedBy,
      invitedVia: request.invitedVia,
      message: request.message,
      invitedAt: at,
      expiresAt,
      partnerId,
      partnerRole,
    });
    // Invited meanwhile by another process (PostgreSQL): nothing written; the caller looks again.
    if (inserted === undefined) return undefined;
    guestId = inserted;
    sendNumber = 1;
    await store.audit.record({ at, actor: request.actor, action: 'invite', target: emailKey(request.email), detail: detail(sendNumber) });
  } else {
    guestId = existing.id;
    sendNumber = existing.sendCount + 1;
    const step = reinvite
      ? await store.guests.inviteAgain(existing, {
          now: at,
          actor: request.actor,
          expiresAt,
          detail: detail(sendNumber),
          invitedBy,
          invitedVia: request.invitedVia,
          message: customMessage,
          partnerId,
          partnerRole,
          name: request.name,
          familyName: request.familyName,
        })
      : await store.guests.resend(existing, { now: at, actor: request.actor, expiresAt, detail: detail(sendNumber) });
    if (!step.applied) return undefined;
  }
  const tempPassword = generateTempPassword();
  await store.credentials.addTempPasswordHash(guestId, sendNumber, hashTempPassword(workspace.hmacKey, tempPassword), at);
  const message = {
    guestId,
    sendNumber,
    messageId: newMessageId(workspace),
    linkToken: newLinkToken(),
    recipient: existing?.email ?? request.email,
    inviter: invitedBy,
    customMessage,
    expiresAt,
  };
  const outboxId = await store.outbox.insert({ ...message, createdAt: at, route: request.route ?? null });
  await store.guests.setLastMessage(guestId, outboxId);
  const guestName = request.name ?? existing?.name ?? null;
  return { guestId, sendNumber, outboxId, expiresAt, tempPassword, message: { id: outboxId, ...message, guestName } };
}
