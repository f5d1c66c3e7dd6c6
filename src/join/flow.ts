import type { CryptoCosts } from '../crypto/costs.js';
import { hashPassword, openWithPassword, sealWithPassword } from '../crypto/password.js';
import { newTotpSecret, totpStep, totpUri } from '../crypto/totp.js';
import type { TestHooks } from '../deps.js';
import { FailureError, UsageError } from '../errors.js';
import type { GuestCredentials, SetupReport } from '../store/credentials.js';
import { guestState, type StepResult } from '../store/guests.js';
import type { Store } from '../store/store.js';
import { atLeast } from '../state/setup.js';
import type { Guest, Workspace } from '../store/types.js';
import { iso } from '../time.js';
import { emailInput, emailKey, nameProblem, requireEmail } from '../validate.js';
import { openInvite, type InviteSource } from './invite.js';
import { describePolicy, passwordProblem } from './policy.js';
import { isLoopback } from '../mail/smtp-config.js';
import { signInWithOwn, signInWithTemporary, UseOwnPassword, WrongPassword, type SigninContext } from './signin.js';
import { APP_CHOICES, CLIENT_APPS, type Check, type ClientApp, type Expected, type JoinUI, type MfaSecret, type SignIn } from './ui.js';

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
  /** False when the call stopped on the way: `error` says why, `steps` what it did before. */
  ok: boolean;
  email?: string;
  workspace: string;
  status?: 'joined' | 'pending';
  /** What this call did, in order. */
  steps: string[];
  setup?: SetupReport;
  /** Only in the call that created the MFA secret: the guest adds it to an authenticator now. */
  mfa?: MfaSecret;
  next?: string;
  error?: string;
  /** On a refusal: true when this call had changed the account before it stopped. */
  saved?: boolean;
}

/** What a call has done so far: a call that stops on the way still reports it. */
export interface JoinProgress {
  steps: string[];
  email?: string;
  /** The MFA secret, if this call made it: the guest must still see it when the call then fails. */
  mfa?: MfaSecret;
  /** True once this call changed the account (a step saved). */
  saved: boolean;
  /** True once a password matched: only then may a report say anything about the account. */
  signedIn?: boolean;
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
export async function joinFlow(ctx: JoinContext, start: JoinStart, ui: JoinUI, progress: JoinProgress = { steps: [], saved: false }): Promise<JoinReport> {
  const { store, workspace } = ctx;
  const steps = progress.steps;

  // What was given for the last steps is checked now: a bad --apps or --device never waits
  // until after MFA is on to be refused.
  const given = ui.given();
  if (given.device !== undefined) checked(given.device, textCheck('--device'));

  // 1. Open the invite: its link must lead to this workspace's sign-in page.
  const opened = await openInvite(start.invite);
  if (opened.workspaceName && opened.workspaceName !== workspace.name) {
    throw new UsageError(`this invite is for the workspace ${JSON.stringify(opened.workspaceName)}, not ${JSON.stringify(workspace.name)}`);
  }
  if (opened.link !== undefined) checkLink(opened.link, workspace);
  const username = requireEmail(emailInput(await ui.username(opened.username)), 'username');
  progress.email = username;
  ui.showInvite({ workspace: workspace.name, username, tempPassword: opened.tempPassword });
  steps.push('opened the invite');

  // 2. The authentication waiting page: the guest must pick "Log in as a guest user" in time.
  ui.info('Authentication waiting page: choose "Log in as a guest user" now; after a few seconds it redirects to your identity provider.');
  if (!(await ui.waitingPage(start.waitSeconds))) {
    throw new FailureError(
      `redirected to the identity provider: no account can be set up there. Close that tab and open the "Join as a guest" link in the email again`,
    );
  }
  steps.push('logged in as a guest user');

  // 3. Sign in: with the temporary password, or (resuming) with the guest's own; a wrong one
  // is asked again where the UI can ask (the lock counts every try).
  const found = await store.guests.find(emailKey(username));
  let expected: Expected = !found || found.setup === 'temporary_password' ? 'temporary' : 'own';
  let refusal: FailureError | undefined;
  let fromInvite = opened.tempPassword;
  let signedIn: { guest: Guest; with: SignIn['with']; password: string };
  for (;;) {
    const signIn = await ui.signIn(expected, fromInvite, refusal?.message);
    if (!signIn) throw refusal ?? new UsageError('no password to sign in with');
    try {
      const guest =
        signIn.with === 'own'
          ? await signInWithOwn(ctx, await store.guests.find(emailKey(username)), signIn.password)
          : await signInWithTemporary(ctx, username, signIn.password);
      signedIn = { guest, with: signIn.with, password: signIn.password };
      break;
    } catch (error) {
      if (error instanceof UseOwnPassword) expected = 'own';
      else if (!(error instanceof WrongPassword)) throw error;
      refusal = error;
      fromInvite = undefined;
    }
  }
  progress.email = signedIn.guest.email;
  progress.signedIn = true;
  if (signedIn.with === 'own') {
    steps.push('signed in with your password');
    return setUp(ctx, signedIn.guest, signedIn.password, 'own', progress, ui);
  }
  steps.push('signed in with the temporary password');

  // 4. Change password, then name and family name.
  const changed = await changePassword(ctx, signedIn.guest, username, signedIn.password, ui);
  progress.saved = true;
  steps.push('set a new password');
  return setUp(ctx, changed.guest, changed.ownPassword, 'temporary', progress, ui);
}

/**
 * The "Join as a guest" link of an invite must lead to this workspace's sign-in page (its
 * origin and path), over https (or http to this machine): anything else may be phishing.
 */
export function checkLink(link: string, workspace: Workspace): void {
  const refuse = () => new UsageError(`this link does not lead to ${workspace.name}'s sign-in page (${workspace.signInUrl}): it may be phishing`);
  let url: URL;
  try {
    url = new URL(link);
  } catch {
    throw refuse();
  }
  const base = new URL(workspace.signInUrl.endsWith('/') ? workspace.signInUrl : `${workspace.signInUrl}/`);
  const joinPage = new URL('guest/join', base);
  const secure = url.protocol === 'https:' || (url.protocol === 'http:' && isLoopback(url.hostname));
  if (!secure || url.origin !== joinPage.origin || url.pathname !== joinPage.pathname || url.username || url.password) throw refuse();
}

/** Step 4: the policy first, a new password it accepts, name and family name; the temporary password stops working. */
async function changePassword(ctx: JoinContext, guest: Guest, username: string, tempPassword: string, ui: JoinUI): Promise<{ guest: Guest; ownPassword: string }> {
  const { store } = ctx;
  const policy = await store.workspace.passwordPolicy();
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
async function setUp(ctx: JoinContext, signedIn: Guest, ownPassword: string, via: SignIn['with'], progress: JoinProgress, ui: JoinUI): Promise<JoinReport> {
  const { store, workspace } = ctx;
  const steps = progress.steps;
  let guest = signedIn;
  const saved = (step: string) => {
    progress.saved = true;
    steps.push(step);
  };

  // Once MFA is on, signing in needs a valid, unused code before anything else happens.
  if (via === 'own' && atLeast(guest.setup, 'mfa_on')) {
    await passMfa(ctx, guest, await storedSecret(ctx, guest, ownPassword), ui);
    steps.push('passed MFA');
  }

  // 5 and 6. Terms of Service; accepting them is joining.
  if (guest.setup === 'own_password') {
    if (!(await ui.acceptTerms())) {
      await commit(ctx, guest, 'join.tos-declined', (g) => store.guests.declineTerms(g, iso(ctx.now())));
      saved('declined the Terms of Service');
      throw new FailureError('you declined the Terms of Service, so you have not joined. Run join again (with your new password) to continue from this step');
    }
    guest = await commit(ctx, guest, 'join', (g) => store.guests.acceptTerms(g, iso(ctx.now())));
    saved('accepted the Terms of Service');
    steps.push('joined');
  }

  // 7a. MFA: a new secret is shown once, when it is made; a code for it turns MFA on. What
  // was given for the later steps waits for them when MFA is not on by the end of this call.
  let next: string | undefined;
  if (guest.setup === 'terms_accepted') {
    await requireLaterAnswers(ctx, guest, ui);
    let secret: string;
    if ((await credentialsOf(store, guest)).totpSecretEnc) secret = await storedSecret(ctx, guest, ownPassword);
    else {
      secret = newTotpSecret();
      const sealed = await sealWithPassword(ownPassword, secret, ctx.costs.seal);
      // Stored before it is shown: a secret another join stored first is never shown here.
      guest = await commit(ctx, guest, 'join.mfa-secret', (g) => store.guests.storeMfaSecret(g, iso(ctx.now()), sealed));
      progress.mfa = { secret, uri: totpUri(secret, `Cerby ${workspace.name}`, guest.email) };
      saved('made your MFA secret: add it to your authenticator app');
      await ui.showMfaSecret(progress.mfa);
    }
    let on: Guest | undefined;
    try {
      on = await turnOnMfa(ctx, guest, secret, ui);
    } catch (error) {
      await keepGiven(ctx, guest, progress, ui);
      throw error;
    }
    if (on) {
      guest = on;
      saved('turned on MFA');
    } else {
      await keepGiven(ctx, guest, progress, ui);
      next = 'run join again with --username, --password-file FILE (your password) and --totp-code CODE (a code from your authenticator) to finish';
    }
  }

  // 7b and 7c: approved client apps, a trusted session for this device (only after MFA passed).
  if (guest.setup === 'mfa_on') {
    const answer = ui.given().apps ?? pendingApps(await credentialsOf(store, guest)) ?? (await ui.apps(APP_CHOICES));
    const apps: ClientApp[] = [...new Set(answer)].filter((a) => CLIENT_APPS.includes(a));
    guest = await commit(ctx, guest, 'join.apps', (g) => store.guests.recordApps(g, iso(ctx.now()), apps));
    saved(`recorded client apps: ${apps.length ? apps.join(', ') : 'none'}`);
  }
  if (guest.setup === 'apps_recorded') {
    const deviceCheck = textCheck('--device');
    const device = checked(ui.given().device ?? (await credentialsOf(store, guest)).pendingDevice ?? (await ui.deviceName(deviceCheck)), deviceCheck).trim();
    guest = await commit(ctx, guest, 'join.device', (g) => store.guests.trustDevice(g, iso(ctx.now()), device));
    saved(`set up the trusted session for "${device}"`);
  }

  return {
    ok: true,
    email: guest.email,
    workspace: workspace.name,
    status: guest.status === 'joined' ? 'joined' : 'pending',
    steps,
    setup: await store.credentials.setupReport(guest.id),
    mfa: progress.mfa,
    next,
  };
}

/**
 * A script that will turn MFA on in this call must already have what comes after it (--apps,
 * --device, or kept from an earlier call): it is refused before anything changes, not after.
 */
async function requireLaterAnswers(ctx: JoinContext, guest: Guest, ui: JoinUI): Promise<void> {
  if (ui.interactive) return;
  const credentials = await credentialsOf(ctx.store, guest);
  const given = ui.given();
  const missing = [
    given.apps === undefined && credentials.pendingApps === null ? '--apps' : '',
    given.device === undefined && credentials.pendingDevice === null ? '--device' : '',
  ].filter(Boolean);
  if (missing.length && ui.hasCode()) {
    throw new UsageError(`missing ${missing.join(' and ')}: after MFA comes ${missing.length === 2 ? 'the client apps and this device\'s name' : missing[0] === '--apps' ? 'the client apps' : "this device's name"} (standard input is not a terminal, so there is no prompt)`);
  }
}

/** --apps and --device given before MFA is on: kept for the call that turns it on. */
async function keepGiven(ctx: JoinContext, guest: Guest, progress: JoinProgress, ui: JoinUI): Promise<void> {
  const given = ui.given();
  if (given.apps === undefined && given.device === undefined) return;
  const at = iso(ctx.now());
  await ctx.store.write(async (tx) => {
    await tx.credentials.keepPending(guest.id, given);
    await tx.audit.record({ at, actor: guest.email, action: 'join.answers-kept', target: emailKey(guest.email), detail: { apps: given.apps, device: given.device } });
  });
  progress.saved = true;
  progress.steps.push(`kept ${[given.apps !== undefined ? '--apps' : '', given.device !== undefined ? '--device' : ''].filter(Boolean).join(' and ')} for when MFA is on`);
}

function pendingApps(credentials: GuestCredentials): ClientApp[] | undefined {
  return credentials.pendingApps?.filter((a): a is ClientApp => (CLIENT_APPS as readonly string[]).includes(a));
}

/** Why a code cannot be accepted, or its time step. */
function checkCode(code: string, secret: string, nowMs: number): { step: number } | { reason: string } {
  const text = code.trim();
  if (!/^\d{6}$/.test(text)) return { reason: 'the code must be 6 digits' };
  const step = totpStep(secret, text, nowMs);
  return step === undefined ? { reason: 'the code is expired or not yet valid: use the one your authenticator shows now' } : { step };
}

const USED = 'this code was used already: wait for the next one';

/** A refused code, in the guest's audit trail. */
async function codeFailed(ctx: JoinContext, guest: Guest, purpose: 'turn-on' | 'sign-in', reason: string): Promise<void> {
  const at = iso(ctx.now());
  await ctx.store.write((tx) => tx.audit.record({ at, actor: guest.email, action: 'join.code-failed', target: emailKey(guest.email), detail: { purpose, reason } }));
}

/**
 * Codes from the UI until one turns MFA on (the guest, moved on), or the UI has none now
 * (undefined: the guest finishes later). A refused code is asked again (at most TOTP_TRIES in
 * all) or fails with the reason.
 */
async function turnOnMfa(ctx: JoinContext, guest: Guest, secret: string, ui: JoinUI): Promise<Guest | undefined> {
  let reason: string | undefined;
  for (let tries = 0; ; tries++) {
    const code = await ui.totpCode('turn-on', reason);
    if (code === undefined) {
      if (reason === undefined) return undefined;
      throw new FailureError(`MFA not turned on: ${reason}`);
    }
    const checkedCode = checkCode(code, secret, ctx.now().getTime());
    if ('step' in checkedCode) {
      const result = await ctx.store.guests.turnOnMfa(guest, iso(ctx.now()), checkedCode.step);
      if (result.applied) return result.guest;
      // Nothing else moved: the code's time step was used already.
      if (result.current?.version !== guest.version) throw lostRace(guest, result.current, iso(ctx.now()));
      reason = USED;
    } else {
      reason = checkedCode.reason;
    }
    await codeFailed(ctx, guest, 'turn-on', reason);
    if (tries >= TOTP_TRIES - 1) throw new FailureError(`MFA not turned on: ${reason}`);
  }
}

/** Signing in once MFA is on: a valid code, never one used before, or no further. */
async function passMfa(ctx: JoinContext, guest: Guest, secret: string, ui: JoinUI): Promise<void> {
  let reason: string | undefined;
  for (let tries = 0; ; tries++) {
    const code = await ui.totpCode('sign-in', reason);
    if (code === undefined) {
      if (reason === undefined) throw new UsageError('MFA is on for this account: give --totp-code CODE (a code from your authenticator)');
      throw new FailureError(`sign-in refused: ${reason}`);
    }
    const checkedCode = checkCode(code, secret, ctx.now().getTime());
    if ('step' in checkedCode) {
      const step = checkedCode.step;
      if (await ctx.store.write((tx) => tx.credentials.useTotpStep(guest.id, step, iso(ctx.now())))) return;
      reason = USED;
    } else {
      reason = checkedCode.reason;
    }
    await codeFailed(ctx, guest, 'sign-in', reason);
    if (tries >= TOTP_TRIES - 1) throw new FailureError(`sign-in refused: ${reason}`);
  }
}

/** The TOTP secret the guest's password sealed. */
async function storedSecret(ctx: JoinContext, guest: Guest, ownPassword: string): Promise<string> {
  const sealed = (await credentialsOf(ctx.store, guest)).totpSecretEnc;
  if (!sealed) throw new Error(`no MFA secret stored for ${guest.email} at setup step ${guest.setup}`);
  return openSealedSecret(ownPassword, sealed, guest.email);
}

/**
 * Applies one setup step to the guest as this run last saw them (a compare-and-set), after
 * the test hook that stands for "slow work just finished". If anything moved meanwhile the
 * step is not applied and the guest is told what happened instead.
 */
async function commit(ctx: JoinContext, guest: Guest, point: string, step: (guest: Guest) => Promise<StepResult>): Promise<Guest> {
  await ctx.hooks?.beforeCommit?.(point);
  const result = await step(guest);
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
  return new FailureError('another join for this account got there first: run join again and sign in with the password set there (--password-file FILE)');
}

/** A guest past the password step has credentials; a store without them is broken, not a refusal. */
async function credentialsOf(store: Store, guest: Guest): Promise<GuestCredentials> {
  const credentials = await store.credentials.get(guest.id);
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
