export const MEMBER_ROLES = ['owner', 'super_admin', 'admin', 'user'] as const;
export type MemberRole = (typeof MEMBER_ROLES)[number];

/** What is stored; `expired` is derived from `expires_at` when listing. */
export type StoredGuestStatus = 'pending' | 'joined' | 'revoked';
export const GUEST_STATUSES = ['pending', 'joined', 'expired', 'revoked'] as const;
export type GuestStatus = (typeof GUEST_STATUSES)[number];

import type { OutboxState } from '../state/outbox.js';
import type { SetupState } from '../state/setup.js';

export type { OutboxState } from '../state/outbox.js';
export type { SetupState } from '../state/setup.js';
/** What `list` shows: a message being sent still counts as queued. */
export type DeliveryState = 'queued' | 'sent' | 'failed' | 'unknown';

export type InvitedVia = 'members' | 'importer' | 'partner';
export const PARTNER_ROLES = ['guest_user', 'guest_admin'] as const;
export type PartnerRole = (typeof PARTNER_ROLES)[number];
export const ACCOUNT_ROLES = ['manager', 'user'] as const;
export type AccountRole = (typeof ACCOUNT_ROLES)[number];

export interface Partner {
  id: number;
  name: string;
  createdBy: string;
  createdAt: string;
}

export interface Account {
  id: number;
  name: string;
  url: string | null;
  createdBy: string;
  createdAt: string;
}

export interface Workspace {
  name: string;
  signInUrl: string;
  sender: string;
  inviteTtlSeconds: number;
  hmacKey: Buffer;
  instanceId: string;
  createdAt: string;
}

export interface Member {
  id: number;
  email: string;
  role: MemberRole;
  addedBy: string | null;
  createdAt: string;
}

export interface Guest {
  id: number;
  email: string;
  name: string | null;
  familyName: string | null;
  status: StoredGuestStatus;
  invitedBy: string;
  invitedVia: InvitedVia;
  message: string | null;
  invitedAt: string;
  lastSentAt: string | null;
  sendCount: number;
  expiresAt: string;
  joinedAt: string | null;
  revokedAt: string | null;
  lastMessageId: number | null;
  partnerId: number | null;
  partnerRole: PartnerRole | null;
  /** Bumped by every transition of the guest or their setup: the compare-and-set's guard. */
  version: number;
  setup: SetupState;
  failedSignins: number;
  lockedAt: string | null;
}

/** One row of `list`: the SPEC §5 field set. */
export interface GuestListRow {
  email: string;
  name: string | null;
  familyName: string | null;
  status: GuestStatus;
  partner: string | null;
  partnerRole: string | null;
  invitedBy: string;
  invitedAt: string;
  lastSentAt: string | null;
  sendCount: number;
  expiresAt: string;
  joinedAt: string | null;
  delivery: DeliveryState;
}

export interface OutboxMessage {
  id: number;
  guestId: number;
  sendNumber: number;
  messageId: string;
  recipient: string;
  inviter: string;
  customMessage: string | null;
  expiresAt: string;
  state: OutboxState;
  attempts: number;
  nextAttemptAt: string;
  leaseOwner: string | null;
  leaseExpiresAt: string | null;
  lastError: string | null;
  smtpResponse: string | null;
  filePath: string | null;
  createdAt: string;
  sentAt: string | null;
  /** When its SMTP transaction (or file) started; null until then, and again after a release. */
  handoverAt: string | null;
  /** An earlier attempt may have reached the guest: a retry adds a password, never replaces it. */
  inDoubt: 0 | 1;
  /** Where it must go; null for emails recorded before version 5 (either way). */
  route: OutboxRoute | null;
  /** What its join link carries; null before version 5. */
  linkToken: string | null;
}

/** An email goes to an SMTP server or into the outbox folder. */
export type OutboxRoute = 'smtp' | 'folder';

export interface AuditEntry {
  at: string;
  actor: string;
  action: string;
  target: string | null;
  detail: Record<string, unknown> | null;
}
