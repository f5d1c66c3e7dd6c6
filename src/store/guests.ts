import { addressKey } from '../address.js';
import { nextGuestState, type GuestEvent, type GuestState } from '../state/guest.js';
import { nextSetupState, type SetupEvent } from '../state/setup.js';
import { cancelMessagesOf } from './outbox.js';
import type { Store } from './store.js';
import type { Guest, InvitedVia, PartnerRole } from './types.js';

/**
 * The guest's lifecycle and account setup, applied as the tables in src/state/ say: each
 * step is one compare-and-set on the guest's row (its version, state and setup as the caller
 * read them) and its audit event, in one IMMEDIATE transaction. Slow work (scrypt) happens
 * before, outside; if anything moved meanwhile the step is not applied and the caller is
 * told what the row is now.
 */

/** `expired` is a pending row past its lifetime: the clock moves it, nothing writes it. */
export function guestState(guest: Pick<Guest, 'status' | 'expiresAt'>, now: string): GuestState {
  return guest.status === 'pending' && guest.expiresAt <= now ? 'expired' : guest.status;
}

const STATE_GUARD: Record<GuestState, string> = {
  pending: `status = 'pending' AND expires_at > @now`,
  expired: `status = 'pending' AND expires_at <= @now`,
  joined: `status = 'joined'`,
  revoked: `status = 'revoked'`,
};

export type StepResult = { applied: true; guest: Guest } | { applied: false; current: Guest | undefined };

interface Step {
  /** The guest as the caller read it: the step applies only to exactly that version. */
  guest: Guest;
  now: string;
  actor: string;
  /** A lifecycle event, or the state the guest must still be in for a setup-only step. */
  lifecycle: { event: GuestEvent } | { stays: GuestState };
  setup?: SetupEvent;
  /** More column assignments (SQL with @named parameters) and their parameters. */
  set?: string;
  /** One more condition (SQL) the row must meet. */
  guard?: string;
  params?: Record<string, unknown>;
  action: string;
  /** The audit detail; a function is called after `alongside`, so it can say what that did. */
  detail?: Record<string, unknown> | null | (() => Record<string, unknown>);
  /** Writes of the same transition (other tables), made only once the compare-and-set held. */
  alongside?: () => void;
}

function apply(store: Store, step: Step): StepResult {
  const { guest, now } = step;
  const from = guestState(guest, now);
  const to = 'event' in step.lifecycle ? nextGuestState(from, step.lifecycle.event) : from === step.lifecycle.stays ? from : undefined;
  const setup = step.setup === undefined ? guest.setup : nextSetupState(guest.setup, step.setup);
  if (to === undefined || setup === undefined) return { applied: false, current: store.getGuest(guest.id) };
  if (to === 'expired') throw new Error('expired is derived from expires_at and never written');
  return store.write(() => {
    const sql = `UPDATE guests SET status = @to, setup = @setup, version = version + 1${step.set ? `, ${step.set}` : ''}
                  WHERE id = @id AND version = @version AND setup = @fromSetup AND ${STATE_GUARD[from]}${step.guard ? ` AND ${step.guard}` : ''}`;
    const changed =
      store.stmt(sql).run({ ...step.params, id: guest.id, version: guest.version, fromSetup: guest.setup, to, setup, now }).changes === 1;
    if (!changed) return { applied: false, current: store.getGuest(guest.id) };
    step.alongside?.();
    const detail = typeof step.detail === 'function' ? step.detail() : (step.detail ?? null);
    store.audit({ at: now, actor: step.actor, action: step.action, target: addressKey(guest.email), detail });
    return { applied: true, guest: store.getGuest(guest.id)! };
  });
}

/** A new temporary password starts the account over: the old own password, MFA and devices go. */
function forgetAccount(store: Store, guestId: number): void {
  store.stmt(`DELETE FROM guest_credentials WHERE guest_id = ?`).run(guestId);
  store.stmt(`DELETE FROM trusted_devices WHERE guest_id = ?`).run(guestId);
}

export interface NewSend {
  now: string;
  actor: string;
  expiresAt: string;
  detail: Record<string, unknown>;
}

const NEW_SEND = `expires_at = @expiresAt, last_sent_at = @now, send_count = send_count + 1, failed_signins = 0, locked_at = NULL`;

/**
 * A new send of the invite (resend, or invite again): send number + 1, a new lifetime, the
 * lock lifted; the old password, the account set up with it and any unsent email all stop.
 */
function startNewSend(store: Store, guest: Guest, send: NewSend, event: 'resend' | 'invite-again', more?: { set: string; params: Record<string, unknown> }): StepResult {
  return apply(store, {
    guest,
    now: send.now,
    actor: send.actor,
    lifecycle: { event },
    setup: 'start-over',
    set: more ? `${NEW_SEND}, ${more.set}` : NEW_SEND,
    params: { ...more?.params, expiresAt: send.expiresAt },
    action: event === 'resend' ? 'resend' : 'reinvite',
    detail: send.detail,
    alongside: () => {
      forgetAccount(store, guest.id);
      cancelMessagesOf(store, guest.id, { at: send.now, actor: send.actor, reason: 'not sent: superseded by a newer invite' });
    },
  });
}

/** resend: pending|expired → pending, keeping the inviter and message. */
export function resendInvite(store: Store, guest: Guest, send: NewSend): StepResult {
  return startNewSend(store, guest, send, 'resend');
}

export interface InviteAgain extends NewSend {
  invitedBy: string;
  invitedVia: InvitedVia;
  message: string | null;
  partnerId: number | null;
  partnerRole: PartnerRole | null;
  name: string | null;
  familyName: string | null;
}

/** invite again: expired|revoked → pending, as the new inviter's invite. */
export function inviteAgain(store: Store, guest: Guest, invite: InviteAgain): StepResult {
  const { invitedBy, invitedVia, message, partnerId, partnerRole, name, familyName } = invite;
  return startNewSend(store, guest, invite, 'invite-again', {
    set: `revoked_at = NULL, joined_at = NULL, invited_by = @invitedBy, invited_at = @now, invited_via = @invitedVia,
          message = @message, partner_id = @partnerId, partner_role = @partnerRole, name = @name, family_name = @familyName`,
    params: { invitedBy, invitedVia, message, partnerId, partnerRole, name, familyName },
  });
}

export type RevokeResult = StepResult & { cancelled: number; onTheirWay: number };

/**
 * revoke: pending|expired|joined → revoked. In the same transaction every email of theirs that
 * has not started its SMTP transaction is cancelled (a sender re-checks just before it starts
 * one), and those already started are counted: they may still arrive, with a dead password.
 */
export function revokeGuest(store: Store, guest: Guest, at: { now: string; actor: string }): RevokeResult {
  let cancelled = 0;
  let onTheirWay = 0;
  const result = apply(store, {
    guest,
    now: at.now,
    actor: at.actor,
    lifecycle: { event: 'revoke' },
    setup: guest.setup === 'device_trusted' ? 'drop-devices' : undefined,
    set: `revoked_at = @now`,
    action: 'revoke',
    alongside: () => {
      store.stmt(`DELETE FROM trusted_devices WHERE guest_id = ?`).run(guest.id);
      ({ cancelled, onTheirWay } = cancelMessagesOf(store, guest.id, { at: at.now, actor: at.actor, reason: 'not sent: the invite was revoked' }));
    },
    detail: () => ({ cancelledMessages: cancelled, messagesOnTheirWay: onTheirWay, ...(guest.status === 'joined' ? { wasJoined: true } : {}) }),
  });
  return { ...result, cancelled, onTheirWay };
}

/** Step 4: the guest's own password (scrypt, made before) and names; the temporary password stops working. */
export function setOwnPassword(store: Store, guest: Guest, step: { now: string; hash: string; name: string; familyName: string }): StepResult {
  return apply(store, {
    guest,
    now: step.now,
    actor: guest.email,
    lifecycle: { stays: 'pending' },
    setup: 'set-password',
    set: `name = @name, family_name = @familyName, failed_signins = 0`,
    params: { name: step.name, familyName: step.familyName },
    action: 'join.password',
    alongside: () =>
      store
        .stmt(
          `INSERT INTO guest_credentials (guest_id, password_hash, password_set_at) VALUES (?, ?, ?)
           ON CONFLICT (guest_id) DO UPDATE SET password_hash = excluded.password_hash, password_set_at = excluded.password_set_at,
             tos_accepted_at = NULL, totp_secret_enc = NULL, totp_last_step = NULL, mfa_enabled_at = NULL, apps = NULL, apps_recorded_at = NULL`,
        )
        .run(guest.id, step.hash, step.now),
  });
}

export function declineTerms(store: Store, guest: Guest, now: string): StepResult {
  return apply(store, { guest, now, actor: guest.email, lifecycle: { stays: 'pending' }, setup: 'decline-terms', action: 'join.tos-declined' });
}

/** Steps 5 and 6: accepting the Terms of Service is joining (pending → joined, in time). */
export function acceptTerms(store: Store, guest: Guest, now: string): StepResult {
  return apply(store, {
    guest,
    now,
    actor: guest.email,
    lifecycle: { event: 'join' },
    setup: 'accept-terms',
    set: `joined_at = @now`,
    action: 'join',
    alongside: () => store.stmt(`UPDATE guest_credentials SET tos_accepted_at = ? WHERE guest_id = ?`).run(now, guest.id),
  });
}

/** Step 7a: a TOTP secret sealed under the guest's own password, waiting for its first code. */
export function storeMfaSecret(store: Store, guest: Guest, now: string, sealed: string): StepResult {
  return apply(store, {
    guest,
    now,
    actor: guest.email,
    lifecycle: { stays: 'joined' },
    setup: 'store-mfa-secret',
    action: 'join.mfa-secret',
    alongside: () => store.stmt(`UPDATE guest_credentials SET totp_secret_enc = ?, totp_last_step = NULL WHERE guest_id = ?`).run(sealed, guest.id),
  });
}

/** A valid code for the stored secret turns MFA on; its time step is used up (never accepted twice). */
export function turnOnMfa(store: Store, guest: Guest, now: string, step: number): StepResult {
  return apply(store, {
    guest,
    now,
    actor: guest.email,
    lifecycle: { stays: 'joined' },
    setup: 'turn-on-mfa',
    guard: `EXISTS (SELECT 1 FROM guest_credentials c WHERE c.guest_id = guests.id AND (c.totp_last_step IS NULL OR c.totp_last_step < @step))`,
    params: { step },
    action: 'join.mfa',
    alongside: () => store.stmt(`UPDATE guest_credentials SET totp_last_step = ?, mfa_enabled_at = ? WHERE guest_id = ?`).run(step, now, guest.id),
  });
}

export function recordApps(store: Store, guest: Guest, now: string, apps: string[]): StepResult {
  return apply(store, {
    guest,
    now,
    actor: guest.email,
    lifecycle: { stays: 'joined' },
    setup: 'record-apps',
    action: 'join.apps',
    detail: { apps },
    alongside: () => store.stmt(`UPDATE guest_credentials SET apps = ?, apps_recorded_at = ? WHERE guest_id = ?`).run(JSON.stringify(apps), now, guest.id),
  });
}

export function trustDevice(store: Store, guest: Guest, now: string, device: string): StepResult {
  return apply(store, {
    guest,
    now,
    actor: guest.email,
    lifecycle: { stays: 'joined' },
    setup: 'trust-device',
    action: 'join.device',
    detail: { device },
    alongside: () => store.stmt(`INSERT INTO trusted_devices (guest_id, name, registered_at) VALUES (?, ?, ?)`).run(guest.id, device, now),
  });
}
