import type { InviteEmailInput } from '../src/email/render.js';

/** One invite's rendering input, for the tests of the email and of its message. */
export const INVITE_INPUT: InviteEmailInput = {
  workspaceName: 'Acme',
  signInUrl: 'https://acme.cerby.example',
  sender: 'no-reply@acme.example',
  recipient: 'ada@partner.example',
  guestName: 'Ada',
  tempPassword: 'Q7hWk2pRz9mVb4XcTn6yLd3F',
  inviter: 'owner@acme.example',
  customMessage: 'Welcome aboard',
  expiresAt: '2026-11-30T14:05:00.000Z',
  now: '2026-11-23T14:05:00.000Z',
  messageId: '<abc@acme.example>',
  inviteToken: 'tok123',
};
