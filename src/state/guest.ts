import { nextState, statesAllowing, type Table } from './machine.js';

/**
 * The guest / invite lifecycle (SPEC §10). `expired` is never written: it is a `pending`
 * row whose `expires_at` has passed, so the clock alone moves it and a new send moves it back.
 */
export const GUEST_STATES = ['pending', 'expired', 'joined', 'revoked'] as const;
export type GuestState = (typeof GUEST_STATES)[number];

export const GUEST_EVENTS = ['expire', 'resend', 'invite-again', 'join', 'revoke'] as const;
export type GuestEvent = (typeof GUEST_EVENTS)[number];

export const GUEST_TRANSITIONS: Table<GuestState, GuestEvent> = [
  { from: 'pending', event: 'expire', to: 'expired', why: 'time: the invite lifetime ran out (derived from expires_at, never written)' },
  { from: 'pending', event: 'resend', to: 'pending', why: 'a new temporary password and lifetime; the old password stops working' },
  { from: 'expired', event: 'resend', to: 'pending', why: 'the same for an invite that ran out' },
  { from: 'expired', event: 'invite-again', to: 'pending', why: 'invited anew (new inviter, message, partner); the account starts over' },
  { from: 'revoked', event: 'invite-again', to: 'pending', why: 'invited anew after a revoke; the account starts over' },
  { from: 'pending', event: 'join', to: 'joined', why: 'the guest accepted the terms with a valid, current, unexpired invite' },
  { from: 'pending', event: 'revoke', to: 'revoked', why: 'the temporary password stops working at once; unsent emails are cancelled' },
  { from: 'expired', event: 'revoke', to: 'revoked', why: 'the same for an invite that ran out' },
  { from: 'joined', event: 'revoke', to: 'revoked', why: "access ends: the guest's trusted devices are dropped" },
];

/**
 * `locked` is a flag beside the state, not a state: 5 failed sign-ins in a row set it
 * (whatever the state, so a locked account answers like any wrong password), a successful
 * sign-in resets the count, and `resend`, `invite-again` or `unlock` clear it.
 */
export const LOCK_AFTER_FAILED_SIGNINS = 5;

export const nextGuestState = (from: GuestState, event: GuestEvent) => nextState(GUEST_TRANSITIONS, from, event);
export const guestStatesAllowing = (event: GuestEvent) => statesAllowing(GUEST_TRANSITIONS, event);
