import type { MessageToSend } from '../delivery/deliver.js';
import { generateTempPassword, hashTempPassword } from '../secrets.js';
import type { Store } from '../store/store.js';
import type { Guest, InvitedVia, PartnerRole, Workspace } from '../store/types.js';
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

/** `<instance.guest.send@domain>`: stable for a retry of the same send, new for every resend. */
export function messageIdFor(workspace: Workspace, guestId: number, sendNumber: number): string {
  const domain = workspace.sender.slice(workspace.sender.lastIndexOf('@') + 1) || 'cerby-guests.invalid';
  return `<invite.${guestId}.${sendNumber}.${workspace.instanceId}@${domain}>`;
}

/**
 * Records one send of an invite: the guest row, a fresh temporary password (its hash only),
 * the outbox message and the audit entry. Must run inside `store.write()`, so that the invite
 * and its email are stored together, before any SMTP traffic.
 */
export function recordInviteSend(store: Store, workspace: Workspace, now: Date, request: InviteSendRequest): RecordedSend {
  const at = iso(now);
  const expiresAt = iso(addSeconds(now, workspace.inviteTtlSeconds));
  const key = emailKey(request.email);
  const reinvite = request.action === 'invite' && request.existing !== undefined;
  // A resend keeps the original inviter and message; an invite (new or again) is the actor's.
  const invitedBy = request.action === 'resend' && request.existing ? request.existing.invitedBy : request.actor;
  const customMessage = request.action === 'resend' && request.existing ? request.existing.message : request.message;
  let guestId: number;
  let sendNumber: number;
  if (request.existing === undefined) {
    guestId = store.insertGuest({
      email: request.email,
      emailKey: key,
      name: request.name,
      familyName: request.familyName,
      invitedBy,
      invitedVia: request.invitedVia,
      message: request.message,
      invitedAt: at,
      expiresAt,
      partnerId: request.partnerId ?? null,
      partnerRole: request.partnerRole ?? null,
    });
    sendNumber = 1;
  } else {
    guestId = request.existing.id;
    sendNumber = store.renewGuestInvite(guestId, {
      invitedBy,
      message: customMessage,
      expiresAt,
      sentAt: at,
      reinvite,
      partnerId: request.partnerId ?? null,
      partnerRole: request.partnerRole ?? null,
      invitedVia: request.invitedVia,
    });
  }
  const tempPassword = generateTempPassword();
  store.addTempPasswordHash(guestId, sendNumber, hashTempPassword(workspace.hmacKey, tempPassword), at);
  const message = {
    guestId,
    sendNumber,
    messageId: messageIdFor(workspace, guestId, sendNumber),
    recipient: request.existing?.email ?? request.email,
    inviter: invitedBy,
    customMessage,
    expiresAt,
  };
  const outboxId = store.insertOutboxMessage({
    ...message,
    createdAt: at,
  });
  store.setLastMessage(guestId, outboxId);
  store.audit({
    at,
    actor: request.actor,
    action: request.action === 'resend' ? 'resend' : reinvite ? 'reinvite' : 'invite',
    target: key,
    detail: { sendNumber, expiresAt, via: request.invitedVia, ...(request.partnerId ? { partnerId: request.partnerId, partnerRole: request.partnerRole } : {}) },
  });
  const guestName = request.name ?? request.existing?.name ?? null;
  return { guestId, sendNumber, outboxId, expiresAt, tempPassword, message: { id: outboxId, ...message, guestName } };
}
