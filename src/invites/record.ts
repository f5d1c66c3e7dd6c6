import type { MessageToSend } from '../delivery/deliver.js';
import { randomBytesPooled } from '../crypto/random.js';
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
  return `<${randomBytesPooled(16).toString('hex')}@${domain}>`;
}

/** What the join link carries: random, names nothing. */
export function newLinkToken(): string {
  return randomBytesPooled(18).toString('base64url');
}

/** The audit detail of a send. */
function sendDetail(request: InviteSendRequest, sendNumber: number, expiresAt: string): Record<string, unknown> {
  const partnerId = request.partnerId ?? null;
  return { sendNumber, expiresAt, via: request.invitedVia, ...(partnerId ? { partnerId, partnerRole: request.partnerRole ?? null } : {}) };
}

/**
 * Records one send of an invite: the guest (a new row, or the resend / invite-again
 * transition of the existing one, which also cancels its older queued email), a fresh
 * temporary password (its hash only), the outbox message and the audit entry. Must run
 * inside `store.write()` (given its `tx`), so that the invite and its email are stored together,
 * before any SMTP traffic. Returns undefined when the existing guest is no longer as the caller
 * read it, or (a new one) when another process invited the address meanwhile.
 */
export async function recordInviteSend(store: Store, workspace: Workspace, now: Date, request: InviteSendRequest): Promise<RecordedSend | undefined> {
  const existing = request.existing;
  if (existing === undefined) return (await recordNewInvites(store, workspace, now, [request]))[0];
  const at = iso(now);
  const expiresAt = iso(addSeconds(now, workspace.inviteTtlSeconds));
  // A resend keeps the original inviter and message; an invite again is the actor's.
  const invitedBy = request.action === 'resend' ? existing.invitedBy : request.actor;
  const customMessage = request.action === 'resend' ? existing.message : request.message;
  const sendNumber = existing.sendCount + 1;
  const detail = sendDetail(request, sendNumber, expiresAt);
  const step =
    request.action === 'invite'
      ? await store.guests.inviteAgain(existing, {
          now: at,
          actor: request.actor,
          expiresAt,
          detail,
          invitedBy,
          invitedVia: request.invitedVia,
          message: customMessage,
          partnerId: request.partnerId ?? null,
          partnerRole: request.partnerRole ?? null,
          name: request.name,
          familyName: request.familyName,
        })
      : await store.guests.resend(existing, { now: at, actor: request.actor, expiresAt, detail });
  if (!step.applied) return undefined;
  const tempPassword = generateTempPassword();
  await store.credentials.addTempPasswordHash(existing.id, sendNumber, hashTempPassword(workspace.hmacKey, tempPassword), at);
  const message = {
    guestId: existing.id,
    sendNumber,
    messageId: newMessageId(workspace),
    linkToken: newLinkToken(),
    recipient: existing.email,
    inviter: invitedBy,
    customMessage,
    expiresAt,
  };
  const outboxId = await store.outbox.insert({ ...message, createdAt: at, route: request.route ?? null });
  await store.guests.setLastMessage(existing.id, outboxId);
  const guestName = request.name ?? existing.name;
  return { guestId: existing.id, sendNumber, outboxId, expiresAt, tempPassword, message: { id: outboxId, ...message, guestName } };
}

/**
 * Records the first send of many new guests (`existing` undefined): their rows, temporary
 * passwords' hashes, emails and audit entries, a statement per table for the whole batch.
 * Results are in the order of `requests`; undefined where another process invited the address
 * meanwhile (PostgreSQL): nothing is written for that one. Inside `store.write()`, on its `tx`.
 */
export async function recordNewInvites(store: Store, workspace: Workspace, now: Date, requests: readonly InviteSendRequest[]): Promise<(RecordedSend | undefined)[]> {
  const at = iso(now);
  const expiresAt = iso(addSeconds(now, workspace.inviteTtlSeconds));
  const ids = await store.guests.insertMany(
    requests.map((request) => ({
      email: request.email,
      emailKey: emailKey(request.email),
      name: request.name,
      familyName: request.familyName,
      invitedBy: request.actor,
      invitedVia: request.invitedVia,
      message: request.message,
      invitedAt: at,
      expiresAt,
      partnerId: request.partnerId ?? null,
      partnerRole: request.partnerRole ?? null,
    })),
  );
  const inserted = requests.flatMap((request) => {
    const guestId = ids.get(emailKey(request.email));
    return guestId === undefined ? [] : [{ request, guestId, tempPassword: generateTempPassword(), messageId: newMessageId(workspace), linkToken: newLinkToken() }];
  });
  await store.audit.recordMany(
    inserted.map(({ request }) => ({ at, actor: request.actor, action: 'invite', target: emailKey(request.email), detail: sendDetail(request, 1, expiresAt) })),
  );
  await store.credentials.addTempPasswordHashes(inserted.map(({ guestId, tempPassword }) => ({ guestId, sendNumber: 1, hash: hashTempPassword(workspace.hmacKey, tempPassword), at })));
  const messages = inserted.map(({ request, guestId, messageId, linkToken }) => ({
    guestId,
    sendNumber: 1,
    messageId,
    linkToken,
    recipient: request.email,
    inviter: request.actor,
    customMessage: request.message,
    expiresAt,
  }));
  const outboxIds = await store.outbox.insertMany(messages.map((m, i) => ({ ...m, createdAt: at, route: inserted[i]!.request.route ?? null })));
  await store.guests.setLastMessages(inserted.map((i) => i.guestId));
  const recorded = new Map<InviteSendRequest, RecordedSend>();
  inserted.forEach(({ request, guestId, tempPassword }, i) => {
    const message = messages[i]!;
    const outboxId = outboxIds.get(message.messageId)!;
    recorded.set(request, { guestId, sendNumber: 1, outboxId, expiresAt, tempPassword, message: { id: outboxId, ...message, guestName: request.name } });
  });
  return requests.map((request) => recorded.get(request));
}
