import { tempPasswordMatches } from '../crypto/temp-password.js';
import type { Store } from '../store/store.js';
import type { Guest, Workspace } from '../store/types.js';
import { emailKey } from '../validate.js';

export type TempPasswordVerdict = 'ok' | 'wrong' | 'superseded' | 'expired' | 'revoked' | 'joined';

/**
 * Checks a username and temporary password against the store. "No such user" and "wrong
 * password" are the same verdict, so the answer does not tell who has an invite.
 */
export function checkTempPassword(
  store: Store,
  workspace: Workspace,
  username: string,
  password: string,
  now: string,
): { verdict: TempPasswordVerdict; guest?: Guest } {
  const guest = store.guests.find(emailKey(username));
  if (!guest) return { verdict: 'wrong' };
  const hashes = store.credentials.tempPasswordHashes(guest.id);
  const match = hashes.find((h) => tempPasswordMatches(workspace.hmacKey, password, h.hash));
  if (!match) return { verdict: 'wrong', guest };
  if (guest.status === 'joined') return { verdict: 'joined', guest };
  if (guest.status === 'revoked') return { verdict: 'revoked', guest };
  if (match.sendNumber !== guest.sendCount) return { verdict: 'superseded', guest };
  if (guest.expiresAt <= now) return { verdict: 'expired', guest };
  return { verdict: 'ok', guest };
}
