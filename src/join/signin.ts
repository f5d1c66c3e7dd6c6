import { tempPasswordMatches } from '../crypto/temp-password.js';
import { REAL_COSTS, type CryptoCosts, type ScryptCost } from '../crypto/costs.js';
import { hashPassword, verifyPassword } from '../crypto/password.js';
import { FailureError } from '../errors.js';
import { LOCK_AFTER_FAILED_SIGNINS } from '../state/guest.js';
import { guestState } from '../store/guests.js';
import type { Store } from '../store/store.js';
import type { Guest, Workspace } from '../store/types.js';
import { iso } from '../time.js';
import { emailKey } from '../validate.js';

/**
 * Step 3, signing in, and its verdicts. Nothing about an account (revoked, already joined, own
 * password set, locked) is told before a password matched; an unknown username and a wrong
 * password get the same words, and take the same time; 5 consecutive failures lock the
 * account. Every failure is in the guest's audit trail.
 */

/** "wrong username or password": the one refusal a guest may try again after. */
export class WrongPassword extends FailureError {
  constructor() {
    super('wrong username or password');
  }
}

/** The right temporary password of a guest who set their own since: a terminal asks for the own one instead. */
export class UseOwnPassword extends FailureError {}

const SIGN_IN_WITH_YOURS = 'sign in with yours (--password-file FILE, or leave it out on a terminal to be asked)';

export const LOCK_AFTER = LOCK_AFTER_FAILED_SIGNINS;

export type TempPasswordVerdict = 'ok' | 'wrong' | 'superseded' | 'expired' | 'revoked' | 'joined';

/** A matched temporary password names its guest; a wrong one may (the username exists) or not. */
export type TempPasswordCheck =
  | { verdict: 'wrong'; guest?: Guest }
  | { verdict: 'ok'; guest: Guest }
  | { verdict: 'superseded' | 'expired' | 'revoked' | 'joined'; guest: Guest };

/**
 * Checks a username and temporary password against the store. "No such user" and "wrong
 * password" are the same verdict, so the answer does not tell who has an invite.
 */
export async function checkTempPassword(store: Store, workspace: Workspace, username: string, password: string, now: string): Promise<TempPasswordCheck> {
  const guest = await store.guests.find(emailKey(username));
  if (!guest) return { verdict: 'wrong' };
  const hashes = await store.credentials.tempPasswordHashes(guest.id);
  const match = hashes.find((h) => tempPasswordMatches(workspace.hmacKey, password, h.hash));
  if (!match) return { verdict: 'wrong', guest };
  if (guest.status === 'joined') return { verdict: 'joined', guest };
  if (guest.status === 'revoked') return { verdict: 'revoked', guest };
  if (match.sendNumber !== guest.sendCount) return { verdict: 'superseded', guest };
  if (guest.expiresAt <= now) return { verdict: 'expired', guest };
  return { verdict: 'ok', guest };
}

/** Why a sign-in is refused. Every reason but `wrong` is told only about the guest whose password matched (or who is locked). */
export type Refusal =
  | { verdict: 'wrong' }
  | { verdict: 'expired' | 'revoked' | 'superseded' | 'joined' | 'locked'; guest: Guest }
  /** The right temporary password, after the guest set their own: it stopped working at step 4. */
  | { verdict: 'wrong-temp'; guest: Guest };

/** A refusal in the guest's words. */
export function refused(refusal: Refusal): FailureError {
  switch (refusal.verdict) {
    case 'expired':
      return new FailureError(`this invite expired on ${refusal.guest.expiresAt}: ask for a new one (an admin can resend it)`);
    case 'revoked':
      return new FailureError('this invite was revoked: ask the person who invited you');
    case 'superseded':
      return new FailureError('this temporary password was replaced by a newer invite: use the latest email');
    case 'joined':
      return new UseOwnPassword(`you have already joined: the temporary password no longer works; ${SIGN_IN_WITH_YOURS}`);
    case 'wrong-temp':
      return new UseOwnPassword(`you already set your own password: the temporary one no longer works; ${SIGN_IN_WITH_YOURS}`);
    case 'locked':
      return new FailureError(
        refusal.guest.status === 'joined'
          ? `this account is locked after ${LOCK_AFTER} failed sign-ins: ask an admin to unlock it (\`cerby-guests unlock ${refusal.guest.email}\`)`
          : `this invite is locked after ${LOCK_AFTER} failed sign-ins: ask an admin to resend it`,
      );
    case 'wrong':
      // The same words whether or not the username exists.
      return new WrongPassword();
  }
}

/** What signing in needs: the store, its workspace and the clock (and, for the own password, scrypt's cost). */
export interface SigninContext {
  store: Store;
  workspace: Workspace;
  now: () => Date;
  costs?: CryptoCosts;
}

/**
 * Counts a failure of a known guest (the 5th locks: only a resend, an invite again or `unlock`
 * lift it), records it, and refuses in the same words as for an unknown one: even the lock is
 * told only to someone who then gives the right password.
 */
export async function failedSignin(ctx: SigninContext, guest: Guest | undefined, reason: string): Promise<FailureError> {
  if (guest) {
    const { store } = ctx;
    const at = iso(ctx.now());
    await store.write(async (tx) => {
      const count = await tx.credentials.recordFailedSignin(guest.id, LOCK_AFTER, at);
      await tx.audit.record({ at, actor: guest.email, action: 'signin.failed', target: emailKey(guest.email), detail: { reason, failures: count } });
      if (count === LOCK_AFTER) await tx.audit.record({ at, actor: guest.email, action: 'signin.locked', target: emailKey(guest.email), detail: { failures: count } });
    });
  }
  return refused({ verdict: 'wrong' });
}

/** Signs in with the temporary password of the latest, unexpired invite, before the guest set their own: the guest, or a refusal (thrown). */
export async function signInWithTemporary(ctx: SigninContext, username: string, password: string): Promise<Guest> {
  const signin = await checkTempPassword(ctx.store, ctx.workspace, username, password, iso(ctx.now()));
  if (signin.verdict === 'wrong') throw await failedSignin(ctx, signin.guest, 'wrong temporary password');
  if (signin.guest.lockedAt) throw refused({ verdict: 'locked', guest: signin.guest });
  if (signin.verdict !== 'ok') throw refused(signin);
  const guest = signin.guest;
  // The temporary password stopped working at step 4 (a new invite starts the account over).
  if (guest.setup !== 'temporary_password') throw refused({ verdict: 'wrong-temp', guest });
  await ctx.store.write(async (tx) => await tx.credentials.resetFailedSignins(guest.id));
  return guest;
}

/**
 * Signs in with the guest's own password (resuming a join): the guest, or a refusal (thrown).
 * No own password yet (unknown, not set, or a new invite started over) gets the words of a wrong one.
 */
export async function signInWithOwn(ctx: SigninContext, guest: Guest | undefined, password: string): Promise<Guest> {
  const credentials = guest && guest.setup !== 'temporary_password' ? await ctx.store.credentials.get(guest.id) : undefined;
  // No account to check against still costs one scrypt: the time says nothing either.
  const matched = await verifyPassword(password, credentials?.passwordHash ?? (await decoyHash(ctx.costs ?? REAL_COSTS)));
  if (!guest || !credentials || !matched) throw await failedSignin(ctx, guest, 'wrong password');
  if (guest.lockedAt) throw refused({ verdict: 'locked', guest });
  if (guest.status === 'revoked') throw refused({ verdict: 'revoked', guest });
  if (guestState(guest, iso(ctx.now())) === 'expired') throw refused({ verdict: 'expired', guest });
  await ctx.store.write(async (tx) => await tx.credentials.resetFailedSignins(guest.id));
  return guest;
}

/**
 * The hash of a random password nobody kept, at the real cost (made once, offline): checking
 * an unknown username's password against it costs one scrypt, as a known one does, and no run
 * pays for making it. A test checks its parameters are the real ones.
 */
export const REAL_DECOY_HASH = 'scrypt$131072$8$1$BxKiEehtTIUg+0cliuGbfA==$6BRvJ5PV1GCp59hl2lx22DYxlovEi3N0RDLZzw4ciNk=';

const decoys = new Map<ScryptCost, Promise<string>>();

/** What an unknown username's password is checked against: the real decoy, or (tests' cheap costs) one made once. */
function decoyHash(costs: CryptoCosts): Promise<string> {
  const { N, r, p } = costs.password;
  if (REAL_DECOY_HASH.startsWith(`scrypt$${N}$${r}$${p}$`)) return Promise.resolve(REAL_DECOY_HASH);
  let decoy = decoys.get(costs.password);
  if (!decoy) {
    decoy = hashPassword('no such account', costs.password);
    decoys.set(costs.password, decoy);
  }
  return decoy;
}
