import { nextState, statesAllowing, type Table } from './machine.js';

/**
 * One invite email (SPEC §7, §10). `sending` is a lease held by one process; `handover_at`
 * marks the moment its SMTP transaction started, so only those messages can be in doubt.
 */
export const OUTBOX_STATES = ['queued', 'sending', 'sent', 'failed', 'unknown'] as const;
export type OutboxState = (typeof OUTBOX_STATES)[number];

export const OUTBOX_EVENTS = ['lease', 'start', 'deliver', 'reject', 'doubt', 'release', 'cancel', 'retry'] as const;
export type OutboxEvent = (typeof OUTBOX_EVENTS)[number];

export const OUTBOX_TRANSITIONS: Table<OutboxState, OutboxEvent> = [
  { from: 'queued', event: 'lease', to: 'sending', why: 'due, and its guest still waits for exactly this send: one process takes it' },
  { from: 'sending', event: 'start', to: 'sending', why: 'just before the SMTP transaction (or file) starts, re-checked against revoke and resend' },
  { from: 'sending', event: 'deliver', to: 'sent', why: 'the server accepted it (250), or the .eml file was written' },
  { from: 'sending', event: 'reject', to: 'failed', why: 'a permanent refusal (5xx), kept with the reply' },
  { from: 'sending', event: 'doubt', to: 'unknown', why: 'its data may have reached the server but no reply came: never resent silently' },
  { from: 'sending', event: 'release', to: 'queued', why: 'nothing was handed over (4xx, refused connection, run stopped, sender died before DATA)' },
  { from: 'queued', event: 'cancel', to: 'failed', why: 'its guest was revoked or sent a newer invite' },
  { from: 'sending', event: 'cancel', to: 'failed', why: 'the same while leased but before its SMTP transaction started' },
  { from: 'failed', event: 'retry', to: 'queued', why: 'an admin asked to try it again' },
  { from: 'unknown', event: 'retry', to: 'queued', why: 'an admin asked to resend it (--retry-unknown): the guest may get it twice' },
];

export const nextOutboxState = (from: OutboxState, event: OutboxEvent) => nextState(OUTBOX_TRANSITIONS, from, event);
export const outboxStatesAllowing = (event: OutboxEvent) => statesAllowing(OUTBOX_TRANSITIONS, event);
