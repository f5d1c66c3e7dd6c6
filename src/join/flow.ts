import type { CryptoCosts } from '../crypto/costs.js';
import { hashPassword, openWithPassword, sealWithPassword } from '../crypto/password.js';
import { newTotpSecret, totpStep, totpUri } from '../crypto/totp.js';
import type { TestHooks } from '../deps.js';
import { FailureError, UsageError } from '../errors.js';
import type { GuestCredentials, SetupReport } from '../store/credentials.js';
import { guestState, type StepResult } from '../store/guests.js';
import type { Store } from '../store/store.js';
import type { Guest } from '../store/types.js';
import { iso } from '../time.js';
import { emailInput, emailKey, nameProblem, requireEmail } from '../validate.js';
import { openInvite, type InviteSource } from './invite.js';
import { describePolicy, passwordProblem } from './policy.js';
import { refused, signInWithOwn, signInWithTemporary, type SigninContext } from './signin.js';
import { APP_CHOICES, CLIENT_APPS, type Check, type ClientApp, type JoinUI, type MfaSecret } from './ui.js';

/** What the flow works with: the store and its workspace, the clock, scrypt's costs, and the tests' pause points. */
export interface JoinContext extends SigninContext {
  costs: CryptoCosts;
  hooks?: TestHooks;
}

export interface JoinStart {
  /** Step 1: the invite the guest opens, if any. */
  invite: InviteSource;
  /** Step 2: how long the waiting page waits before it redirects. */
  waitSeconds: number;
}

export interface JoinReport {
  email: string;
  workspace: string;
  status: 'joined' | 'pending';
  /** What this run did, in order. */
  steps: string[];
  setup: SetupReport;
  /** Only in the run that created the MFA secret, or that shows a pending one again. */
  mfa?: MfaSecret;
  next?: string;
}

/** A person's code gets this many tries in one run. */
const TOTP_TRIES = 3;

/** A name, family name or device name: why it is refused, naming its flag. */
export function textProblem(value: string, flag: string): string | undefined {
  const text = value.trim();
  if (!text) return `${flag} is empty`;
  const problem = nameProblem(text, flag.replace(/^--/, '').replace('-', ' '));
  return problem ? `invalid ${flag}: ${problem}` : undefined;
}

const textCheck =
  (flag: string): Check =>
  (value) =>
    textProblem(value, flag);

/** The answer if `problem` accepts it (the flow never stores what a UI let through by mistake). */
function checked(value: string, problem: Check, refusal: (reason: string) => string = (reason) => reason): string {
  const reason = problem(value);
  if (reason) throw new UsageError(refusal(reason));
  return value;
}

/**
 * SPEC §4: the guest's path from the invite email to a set-up account, in the order of the
 * help article, against the same store. Resumable: a later run signs in with the guest's own
 * password and goes on from the first step not done. Every store write after sign-in is a
 * compare-and-set against the guest as this run last saw them (`commit`): if a revoke, a
 * resend, the clock or another join moved it meanwhile, the step is refused and says why.
 */
export async function joinFlow(ctx: JoinContext, start: JoinStart, ui: JoinUI): Promise<JoinReport> {
  const { store, workspace } = ctx;
  const steps: string[] = [];

  // 1. Open the invite.
  const opened = await openInvite(start.invite);
  if (opened.workspaceName && opened.workspaceName !== workspace.name) {
    throw new UsageError(`this invite is for the workspace ${JSON.stringify(opened.workspaceName)}, not ${JSON.stringify(workspace.name)}`);
  }
  const username = requireEmail(emailInput(await ui.username(opened.username)), 'username');
  steps.push('opened the invite');

  // 2. The authentication waiting page: the guest must pick "Log in as a guest user" in time.
  ui.info('Authentication waiting page: choose "Log in as a guest user" now; after a few seconds it redirects to your identity provider.');
  if (!(await ui.waitingPage(start.waitSeconds))) {
    throw new FailureError(
      `redirected to the identity provider after ${start.waitSeconds} s: no account can be set up there. Close that tab and open the "Join as a guest" link in the email again`,
    );
  }
  steps.push('logged in as a guest user');

  // 3. Sign in: with the temporary password, or (resuming) with the guest's own.
  const found = store.guests.find(emailKey(username));
  if (found?.lockedAt) throw refused({ verdict: 'locked', guest: found });
  const signIn = await ui.signIn(!found || found.setup === 'temporary_password' ? 'temporary' : 'own', opened.tempPassword);
  if (signIn.with === 'own') {
    const guest = await signInWithOwn(ctx, found, signIn.password);
    steps.push('signed in with your password');
    return setUp(ctx, guest, signIn.password, steps, ui);
  }
  const guest = signInWithTemporary(ctx, username, signIn.password);
  steps.push('signed in with the temporary password');

  // 4. Change password, then name and family name.
  const changed = await changePassword(ctx, guest, username, signIn.password, ui);
  steps.push('set a new password');
  return setUp(ctx, changed.guest, changed.ownPassword, steps, ui);
}

/** Step 4: the policy first, a new password it accepts, name and family name; the temporary password stops working. */
async function changePassword(ctx: JoinContext, guest: Guest, username: string, tempPassword: string, ui: JoinUI): Promise<{ guest: Guest; ownPassword: string }> {
  const { store } = ctx;
  const policy = store.workspace.passwordPolicy();
  ui.info(describePolicy(policy));
  const policyProblem: Check = (password) => passwordProblem(password, policy, username, tempPassword);
  const ownPassword = checked(await ui.newPassword(policyProblem), policyProblem, (reason) => `--new-password refused: ${reason}`);
  const nameCheck = textCheck('--name');
  const familyNameCheck = textCheck('--family-name');
  const name = checked(await ui.name(nameCheck), nameCheck).trim();
  const familyName = checked(await ui.familyName(familyNameCheck), familyNameCheck).trim();
  const hash = await hashPassword(ownPassword, ctx.costs.password);
  const changed = await commit(ctx, guest, 'join.password', (g) => store.guests.setOwnPassword(g, { now: iso(ctx.now()), hash, name, familyName }));
  return { guest: changed, ownPassword };
}

/** Steps 5 to 7, from the first one this guest has not done. */
async function setUp(ctx: JoinContext, signedIn: Guest, ownPassword: string, steps: string[], ui: JoinUI): Promise<JoinReport> {
  const { store, workspace } = ctx;
  let guest = signedIn;

  // 5 and 6. Terms of Service; accepting them is joining.
  if (guest.setup === 'own_password') {
    if (!(await ui.acceptTerms())) {
      await commit(ctx, guest, 'join.tos-declined', (g) => store.guests.declineTerms(g, iso(ctx.now())));
      throw new FailureError('you declined the Terms of Service, so you have not joined. Run join again (with your new password) to continue from this step');
    }
    guest = await commit(ctx, guest, 'join', (g) => store.guests.acceptTerms(g, iso(ctx.now())));
    steps.push('accepted the Terms of Service');
    steps.push('joined');
  }

  // 7a. MFA.
  let mfa: MfaSecret | undefined;
  let next: string | undefined;
  if (guest.setup === 'terms_accepted') {
    const stored = credentialsOf(store, guest);
    let secret: string;
    if (stored.totpSecretEnc) secret = await openSealedSecret(ownPassword, stored.totpSecretEnc, guest.email);
    else {
      secret = newTotpSecret();
      const sealed = await sealWithPassword(ownPassword, secret, ctx.costs.seal);
      // Stored before it is shown: a secret another join stored first is never shown here.
      guest = await commit(ctx, guest, 'join.mfa-secret', (g) => store.guests.storeMfaSecret(g, iso(ctx.now()), sealed));
    }
    mfa = { secret, uri: totpUri(secret, `Cerby ${workspace.name}`, guest.email) };
    await ui.showMfaSecret(mfa);
    const on = await turnOnMfa(ctx, guest, secret, ui);
    if (on) {
      guest = on;
      steps.push('turned on MFA');
    } else {
      next = `run join again with --password and --totp-code CODE (a code from your authenticator) to finish`;
    }
  }

  // 7b and 7c: approved client apps, a trusted session for this device.
  if (guest.setup === 'mfa_on') {
    const answer = await ui.apps(APP_CHOICES);
    const apps: ClientApp[] = [...new Set(answer)].filter((a) => CLIENT_APPS.includes(a));
    guest = await commit(ctx, guest, 'join.apps', (g) => store.guests.recordApps(g, iso(ctx.now()), apps));
    steps.push(`recorded client apps: ${apps.length ? apps.join(', ') : 'none'}`);
  }
  if (guest.setup === 'apps_recorded') {
    const deviceCheck = textCheck('--device');
    const device = checked(await ui.deviceName(deviceCheck), deviceCheck).trim();
    guest = await commit(ctx, guest, 'join.device', (g) => store.guests.trustDevice(g, iso(ctx.now()), device));
    steps.push(`registered the trusted device "${device}"`);
  }

  const state = store.credentials.setupReport(guest.id);
  return {
    email: guest.email,
    workspace: workspace.name,
    status: guest.status === 'joined' ? 'joined' : 'pending',
    steps,
    setup: state,
    mfa: state.mfa ? undefined : mfa,
    next,
  };
}

/**
 * Codes from the UI until one turns MFA on (the guest, moved on), or the UI has none now
 * (undefined: the guest finishes later). A wrong code, or one whose time step was used, is
 * asked again (at most TOTP_TRIES in all) or fails with the reason.
 */
async function turnOnMfa(ctx: JoinContext, guest: Guest, secret: string, ui: JoinUI): Promise<Guest | undefined> {
  let reason: string | undefined;
  for (let tries = 0; ; tries++) {
    const code = await ui.totpCode(reason);
    if (code === undefined) {
      if (reason === undefined) return undefined;
      throw new FailureError(`MFA not turned on: ${reason}`);
    }
    const step = totpStep(secret, code.trim(), ctx.now().getTime());
    reason = 'the code is not valid now';
    if (step !== undefined) {
      const result = ctx.store.guests.turnOnMfa(guest, iso(ctx.now()), step);
      if (result.applied) return result.guest;
      // Nothing else moved: the code's time step was used already.
      if (result.current?.version !== guest.version) throw lostRace(guest, result.current, iso(ctx.now()));
      reason = 'this code was used already: wait for the next one';
    }
    if (tries >= TOTP_TRIES - 1) throw new FailureError(`MFA not turned on: ${reason}`);
  }
}

/**
 * Applies one setup step to the guest as this run last saw them (a compare-and-set), after
 * the test hook that stands for "slow work just finished". If anything moved meanwhile the
 * step is not applied and the guest is told what happened instead.
 */
async function commit(ctx: JoinContext, guest: Guest, point: string, step: (guest: Guest) => StepResult): Promise<Guest> {
  await ctx.hooks?.beforeCommit?.(point);
  const result = step(guest);
  if (!result.applied) throw lostRace(guest, result.current, iso(ctx.now()));
  return result.guest;
}

/** What moved the account while this join was working, in the guest's words. */
export function lostRace(before: Guest, current: Guest | undefined, now: string): FailureError {
  if (!current) return new FailureError('this account no longer exists: ask the person who invited you');
  if (current.status === 'revoked') {
    return new FailureError(
      before.status === 'joined'
        ? 'your access was revoked while you were setting up: ask the person who invited you'
        : 'the invite was revoked while you were joining: ask the person who invited you',
    );
  }
  if (current.sendCount !== before.sendCount) return new FailureError('a new invite was sent while you were joining: use the temporary password in the latest email');
  if (guestState(current, now) === 'expired') return new FailureError(`the invite expired while you were joining (${current.expiresAt}): ask for a new one`);
  return new FailureError('another join for this account got there first: run join again and sign in with the password set there (--password)');
}

/** A guest past the password step has credentials; a store without them is broken, not a refusal. */
function credentialsOf(store: Store, guest: Guest): GuestCredentials {
  const credentials = store.credentials.get(guest.id);
  if (!credentials) throw new Error(`no credentials stored for ${guest.email} at setup step ${guest.setup}`);
  return credentials;
}

/** The sealed TOTP secret opens only with the password it was sealed under. */
async function openSealedSecret(password: string, sealed: string, email: string): Promise<string> {
  try {
    return await openWithPassword(password, sealed);
  } catch {
    throw new FailureError(`the stored MFA secret cannot be opened with this password: ask an admin to revoke and invite ${email} again`);
  }
}
