import { nextState, statesAllowing, type Table } from './machine.js';

/**
 * The guest's account setup (SPEC §4, §10), in the order of the help article. Each step is
 * written by `join` as one compare-and-set on the guest's row, together with the guest's
 * lifecycle where the two move at once (accepting the terms is joining).
 */
export const SETUP_STATES = ['temporary_password', 'own_password', 'terms_accepted', 'mfa_on', 'apps_recorded', 'device_trusted'] as const;
export type SetupState = (typeof SETUP_STATES)[number];

export const SETUP_EVENTS = [
  'set-password',
  'decline-terms',
  'accept-terms',
  'store-mfa-secret',
  'turn-on-mfa',
  'record-apps',
  'trust-device',
  'drop-devices',
  'start-over',
] as const;
export type SetupEvent = (typeof SETUP_EVENTS)[number];

export const SETUP_TRANSITIONS: Table<SetupState, SetupEvent> = [
  { from: 'temporary_password', event: 'set-password', to: 'own_password', why: 'signed in with the temporary password, chose a password and names' },
  { from: 'own_password', event: 'decline-terms', to: 'own_password', why: 'declined the Terms of Service: recorded; the next join resumes here' },
  { from: 'own_password', event: 'accept-terms', to: 'terms_accepted', why: 'accepted the Terms of Service: the guest has joined' },
  { from: 'terms_accepted', event: 'store-mfa-secret', to: 'terms_accepted', why: 'a TOTP secret, sealed under the own password, waits for its first code' },
  { from: 'terms_accepted', event: 'turn-on-mfa', to: 'mfa_on', why: 'a valid code for the stored secret: MFA is on' },
  { from: 'mfa_on', event: 'record-apps', to: 'apps_recorded', why: 'the approved client apps installed (possibly none)' },
  { from: 'apps_recorded', event: 'trust-device', to: 'device_trusted', why: 'a trusted session for this device' },
  { from: 'device_trusted', event: 'trust-device', to: 'device_trusted', why: 'another trusted device' },
  { from: 'device_trusted', event: 'drop-devices', to: 'apps_recorded', why: "revoked: the guest's trusted devices are dropped" },
  ...SETUP_STATES.map((from) => ({
    from,
    event: 'start-over' as const,
    to: 'temporary_password' as const,
    why: 'a new invite (resend or invite again): its temporary password starts the account over',
  })),
];

export const nextSetupState = (from: SetupState, event: SetupEvent) => nextState(SETUP_TRANSITIONS, from, event);
export const setupStatesAllowing = (event: SetupEvent) => statesAllowing(SETUP_TRANSITIONS, event);

/** Setup is complete once a trusted device is registered (MFA and apps come before it). */
export const setupComplete = (state: SetupState) => state === 'device_trusted';
export const atLeast = (state: SetupState, step: SetupState) => SETUP_STATES.indexOf(state) >= SETUP_STATES.indexOf(step);
