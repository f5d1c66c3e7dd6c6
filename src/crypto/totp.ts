import { Secret, TOTP, URI } from 'otpauth';

/** RFC 6238 as SPEC §4 fixes it: SHA-1, 6 digits, 30-second steps. */
export const TOTP_PARAMS = { algorithm: 'SHA1', digits: 6, period: 30 } as const;

export function newTotpSecret(): string {
  return new Secret({ size: 20 }).base32; // 160 bits
}

export function totpUri(secret: string, issuer: string, account: string): string {
  return URI.stringify(new TOTP({ issuer, label: account, secret: Secret.fromBase32(secret), ...TOTP_PARAMS }));
}

/**
 * The time step a code belongs to, accepting one step of drift either way, or undefined.
 * The caller must refuse a step it has seen before (no code is accepted twice).
 */
export function totpStep(secret: string, token: string, timestampMs: number): number | undefined {
  if (!/^\d{6}$/.test(token)) return undefined;
  const delta = TOTP.validate({ token, secret: Secret.fromBase32(secret), ...TOTP_PARAMS, timestamp: timestampMs, window: 1 });
  if (delta === null) return undefined;
  return TOTP.counter({ period: TOTP_PARAMS.period, timestamp: timestampMs }) + delta;
}

export function totpCode(secret: string, timestampMs: number): string {
  return TOTP.generate({ secret: Secret.fromBase32(secret), ...TOTP_PARAMS, timestamp: timestampMs });
}
