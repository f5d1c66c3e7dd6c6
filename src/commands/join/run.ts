import type { App } from '../../app.js';
import { FailureError, UsageError } from '../../errors.js';
import { checkTempPassword } from '../../invites/verify.js';
import { valueOrPrompt, type Prompter } from '../../prompter.js';
import { LOCK_AFTER_FAILED_SIGNINS } from '../../state/guest.js';
import type { SetupReport } from '../../store/credentials.js';
import { guestState, type StepResult } from '../../store/guests.js';
import type { Guest } from '../../store/types.js';
import { iso } from '../../time.js';
import { emailInput, emailKey, nameProblem, requireEmail } from '../../validate.js';
import { openInviteEmail, openInviteLink, type OpenedInvite } from './invite-email.js';
import { REAL_COSTS } from '../../crypto/costs.js';
import { hashPassword, openWithPassword, sealWithPassword, verifyPassword } from '../../crypto/password.js';
import { newTotpSecret, totpStep, totpUri } from '../../crypto/totp.js';
import { describePolicy, passwordProblem } from '../../join/policy.js';

export interface JoinOptions {
  emailFile?: string;
  link?: string;
  username?: string;
  tempPassword?: string;
  /** The guest's own password, to resume after the password step. */
  password?: string;
  newPassword?: string;
  name?: string;
  familyName?: string;
  acceptTos?: boolean;
  declineTos?: boolean;
  totpCode?: string;
  apps?: string;
  device?: string;
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
  mfa?: { secret: string; uri: string };
  next?: string;
}

export const LOCK_AFTER = LOCK_AFTER_FAILED_SIGNINS;
export const APPS = ['mobile', 'extension'] as const;
const APP_NAMES: Record<string, string> = { mobile: 'Cerby mobile app', extension: 'Cerby browser extension' };

/** Step 2: the authentication waiting page. The guest must pick "Log in as a guest user" in time. */
async function waitingPage(app: App, seconds: number): Promise<void> {
  app.info('Authentication waiting page: choose "Log in as a guest user" now; after a few seconds it redirects to your identity provider.');
  if (!app.prompter.interactive) return; // A scripted run picks it at once.
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), seconds * 1000);
  let chose = false;
  try {
    chose = await app.prompter.confirm('Log in as a guest user?', { default: true, signal: abort.signal });
  } catch (error) {
    if (!abort.signal.aborted) throw error;
  } finally {
    clearTimeout(timer);
  }
  if (!chose) {
    throw new FailureError(
      `redirected to the identity provider after ${seconds} s: no account can be set up there. Close that tab and open the "Join as a guest" link in the email again`,
    );
  }
}

function refuseSignin(verdict: string, guest: Guest | undefined): never {
  switch (verdict) {
    case 'expired':
      throw new FailureError(`this invite expired on ${guest!.expiresAt}: ask for a new one (an admin can resend it)`);
    case 'revoked':
      throw new FailureError('this invite was revoked: ask the person who invited you');
    case 'superseded':
      throw new FailureError('this temporary password was replaced by a newer invite: use the latest email');
    case 'joined':
      throw new FailureError('you have already joined: sign in with your own password (--password)');
    case 'wrong-temp':
      throw new FailureError('you already set your own password: the temporary one no longer works; sign in with yours (--password)');
    case 'locked':
      throw new FailureError(
        guest?.status === 'joined'
          ? `this account is locked after ${LOCK_AFTER} failed sign-ins: ask an admin to unlock it (\`cerby-guests unlock ${guest.email}\`)`
          : `this invite is locked after ${LOCK_AFTER} failed sign-ins: ask an admin to resend it`,
      );
    default:
      // The same words whether or not the username exists.
      throw new FailureError('wrong username or password');
  }
}

/** Counts a failure (the lock can only be lifted by a resend) and refuses. */
function failSignin(app: App, guest: Guest | undefined): never {
  if (guest) {
    const store = app.store();
    const count = store.write(() => store.credentials.recordFailedSignin(guest.id, LOCK_AFTER, iso(app.now())));
    if (count >= LOCK_AFTER) refuseSignin('locked', guest);
  }
  refuseSignin('wrong', guest);
}

function textProblem(value: string, flag: string): string | undefined {
  const text = value.trim();
  if (!text) return `${flag} is empty`;
  const problem = nameProblem(text, flag.replace(/^--/, '').replace('-', ' '));
  return problem ? `invalid ${flag}: ${problem}` : undefined;
}

function requireText(value: string, flag: string): string {
  const problem = textProblem(value, flag);
  if (problem) throw new UsageError(problem);
  return value.trim();
}

/** A prompt that asks again, with the reason, until the text is acceptable. */
const askText = (message: string, flag: string, fallback?: string) => (p: Prompter) =>
  p.input(message, { default: fallback, validate: (v) => textProblem(v, flag) ?? true });

function parseApps(text: string): string[] {
  const apps = text
    .split(',')
    .map((a) => a.trim().toLowerCase())
    .filter(Boolean);
  if (apps.length === 1 && apps[0] === 'none') return [];
  for (const a of apps) if (!(APPS as readonly string[]).includes(a)) throw new UsageError(`unknown app ${JSON.stringify(a.slice(0, 40))} in --apps: use mobile, extension or none`);
  return [...new Set(apps)];
}

/** Asks again on a terminal; a script gets one clear usage error. */
async function askUntilValid(app: App, given: string | undefined, flag: string, ask: () => Promise<string>, problem: (v: string) => string | undefined): Promise<string> {
  if (given !== undefined || !app.prompter.interactive) {
    const value = await valueOrPrompt(app.prompter, given, flag, ask);
    const reason = problem(value);
    if (reason) throw new UsageError(`${flag} refused: ${reason}`);
    return value;
  }
  for (;;) {
    const value = await ask();
    const reason = problem(value);
    if (!reason) return value;
    app.warn(`refused: ${reason}`);
  }
}

/**
 * SPEC §4: the guest's path from the invite email to a set-up account, in order, against the
 * same store. Resumable: a later run signs in with the guest's own password and goes on from
 * the first step not done.
 */
export async function runJoin(options: JoinOptions, app: App): Promise<JoinReport> {
  if (!(options.waitSeconds > 0 && options.waitSeconds <= 600)) throw new UsageError('--wait-seconds must be more than 0 and at most 600');
  const sources = [options.emailFile, options.link].filter((s) => s !== undefined).length;
  if (sources > 1) throw new UsageError('give one of --email-file or --link');
  if (options.acceptTos && options.declineTos) throw new UsageError('give --accept-tos or --decline-tos, not both');
  const store = app.store();
  const workspace = app.workspace();
  const steps: string[] = [];

  // 1. Open the invite.
  let opened: OpenedInvite = {};
  if (options.emailFile) opened = await openInviteEmail(options.emailFile);
  else if (options.link) opened = openInviteLink(options.link);
  if (opened.workspaceName && opened.workspaceName !== workspace.name) {
    throw new UsageError(`this invite is for the workspace ${JSON.stringify(opened.workspaceName)}, not ${JSON.stringify(workspace.name)}`);
  }
  const username = requireEmail(
    emailInput(options.username ?? opened.username ?? (await valueOrPrompt(app.prompter, undefined, '--username', (p) => p.input('Username')))),
    'username',
  );
  steps.push('opened the invite');

  // 2. The waiting page.
  await waitingPage(app, options.waitSeconds);
  steps.push('logged in as a guest user');

  // 3. Sign in: with the temporary password, or (resuming) with the guest's own. Nothing about
  // the account (revoked, already joined, own password set) is said before a password matched.
  // Every later write is a compare-and-set against the guest as read here: if a revoke, a
  // resend, the clock or another join moved it meanwhile, the step is refused and says why.
  let guest = store.guests.find(emailKey(username));
  if (guest?.lockedAt) refuseSignin('locked', guest);
  // The email's temporary password counts only when no own password was given with it.
  const givenTemp = options.tempPassword ?? (options.password === undefined ? opened.tempPassword : undefined);
  let ownPassword: string;
  let tempPassword: string | undefined;
  const withTemp = givenTemp !== undefined || (options.password === undefined && (!guest || guest.setup === 'temporary_password'));
  if (withTemp) {
    tempPassword = givenTemp ?? (await valueOrPrompt(app.prompter, undefined, '--temp-password', (p) => p.password('Temporary password')));
    const signin = checkTempPassword(store, workspace, username, tempPassword, iso(app.now()));
    if (signin.verdict === 'wrong') failSignin(app, guest);
    if (signin.verdict !== 'ok') refuseSignin(signin.verdict, signin.guest);
    guest = signin.guest!;
    // The temporary password stopped working at step 4 (a new invite starts the account over).
    if (guest.setup !== 'temporary_password') refuseSignin('wrong-temp', guest);
    store.write(() => store.credentials.resetFailedSignins(guest!.id));
    steps.push('signed in with the temporary password');

    // 4. Change password, then name and family name.
    const policy = store.workspace.passwordPolicy();
    app.info(describePolicy(policy));
    ownPassword = await askUntilValid(
      app,
      options.newPassword,
      '--new-password',
      async () => {
        const first = await app.prompter.password('New password');
        const again = await app.prompter.password('Enter new password again');
        return first === again ? first : '\u0000mismatch';
      },
      (v) => (v === '\u0000mismatch' ? 'the two passwords differ' : passwordProblem(v, policy, username, tempPassword)),
    );
    const name = requireText(options.name ?? (await valueOrPrompt(app.prompter, undefined, '--name', askText('Name', '--name'))), '--name');
    const familyName = requireText(
      options.familyName ?? (await valueOrPrompt(app.prompter, undefined, '--family-name', askText('Family name', '--family-name'))),
      '--family-name',
    );
    const hash = await hashPassword(ownPassword, app.f.crypto?.password ?? REAL_COSTS.password);
    guest = await commit(app, guest, 'join.password', (g) => store.guests.setOwnPassword(g, { now: iso(app.now()), hash, name, familyName }));
    steps.push('set a new password');
  } else {
    ownPassword = await valueOrPrompt(app.prompter, options.password, '--password', (p) => p.password('Password'));
    // No own password (unknown, or not set yet, or a new invite started over): the same words as a wrong one.
    const credentials = guest && guest.setup !== 'temporary_password' ? store.credentials.get(guest.id) : undefined;
    if (!guest || !credentials || !(await verifyPassword(ownPassword, credentials.passwordHash))) failSignin(app, guest);
    if (guest.status === 'revoked') refuseSignin('revoked', guest);
    if (guestState(guest, iso(app.now())) === 'expired') refuseSignin('expired', guest);
    store.write(() => store.credentials.resetFailedSignins(guest!.id));
    steps.push('signed in with your password');
  }

  // 5 and 6. Terms of Service; accepting them is joining.
  if (guest.setup === 'own_password') {
    let accepted = options.acceptTos === true;
    if (!accepted && !options.declineTos) {
      if (!app.prompter.interactive) throw new UsageError('missing --accept-tos (or --decline-tos): standard input is not a terminal');
      accepted = await app.prompter.confirm("I confirm that I have read, consent, and agree to Cerby's Terms of Service", { default: false });
    }
    if (!accepted) {
      await commit(app, guest, 'join.tos-declined', (g) => store.guests.declineTerms(g, iso(app.now())));
      throw new FailureError('you declined the Terms of Service, so you have not joined. Run join again (with your new password) to continue from this step');
    }
    guest = await commit(app, guest, 'join', (g) => store.guests.acceptTerms(g, iso(app.now())));
    steps.push('accepted the Terms of Service');
    steps.push('joined');
  }

  // 7a. MFA.
  let mfa: JoinReport['mfa'];
  let next: string | undefined;
  if (guest.setup === 'terms_accepted') {
    const stored = store.credentials.get(guest.id)!;
    let secret: string;
    if (stored.totpSecretEnc) secret = await openSealedSecret(ownPassword, stored.totpSecretEnc, guest.email);
    else {
      secret = newTotpSecret();
      const sealed = await sealWithPassword(ownPassword, secret, app.f.crypto?.seal ?? REAL_COSTS.seal);
      // Stored before it is shown: a secret another join stored first is never shown here.
      guest = await commit(app, guest, 'join.mfa-secret', (g) => store.guests.storeMfaSecret(g, iso(app.now()), sealed));
    }
    mfa = { secret, uri: totpUri(secret, `Cerby ${workspace.name}`, guest.email) };
    if (!app.json) {
      app.info(`Turn on MFA: add this key to your authenticator app\n  secret: ${secret}\n  ${mfa.uri}`);
      if (app.io.stderrIsTTY) {
        const qrcode = (await import('qrcode-terminal')).default;
        qrcode.generate(mfa.uri, { small: true }, (qr: string) => app.io.stderr.write(`${qr}\n`));
      }
    }
    let code = options.totpCode;
    if (code === undefined && !app.prompter.interactive) {
      next = `run join again with --password and --totp-code CODE (a code from your authenticator) to finish`;
    } else {
      for (let tries = 0; ; tries++) {
        code ??= await app.prompter.input('6-digit code from your authenticator');
        const step = totpStep(secret, code.trim(), app.now().getTime());
        let reason = 'the code is not valid now';
        if (step !== undefined) {
          const before = guest;
          const result = store.guests.turnOnMfa(before, iso(app.now()), step);
          if (result.applied) {
            guest = result.guest;
            break;
          }
          // Nothing else moved: the code's time step was used already.
          if (result.current?.version !== before.version) throw lostRace(before, result.current, iso(app.now()));
          reason = 'this code was used already: wait for the next one';
        }
        if (options.totpCode !== undefined || tries >= 2) throw new FailureError(`MFA not turned on: ${reason}`);
        app.warn(reason);
        code = undefined;
      }
      steps.push('turned on MFA');
      mfa = options.totpCode !== undefined ? undefined : mfa;
    }
  }

  // 7b and 7c: approved client apps, a trusted session for this device.
  if (guest.setup === 'mfa_on') {
    const apps =
      options.apps !== undefined
        ? parseApps(options.apps)
        : app.prompter.interactive
          ? await app.prompter.checkbox(
              'Which approved Cerby apps did you install?',
              APPS.map((a) => ({ name: APP_NAMES[a]!, value: a })),
            )
          : parseApps(await valueOrPrompt(app.prompter, undefined, '--apps', async () => '')); // throws: names the flag
    guest = await commit(app, guest, 'join.apps', (g) => store.guests.recordApps(g, iso(app.now()), apps));
    steps.push(`recorded client apps: ${apps.length ? apps.join(', ') : 'none'}`);
  }
  if (guest.setup === 'apps_recorded') {
    const device = requireText(
      options.device ?? (await valueOrPrompt(app.prompter, undefined, '--device', askText('Name of this device', '--device', 'My laptop'))),
      '--device',
    );
    guest = await commit(app, guest, 'join.device', (g) => store.guests.trustDevice(g, iso(app.now()), device));
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
 * Applies one setup step to the guest as this run last saw them (a compare-and-set), after
 * the test hook that stands for "slow work just finished". If anything moved meanwhile the
 * step is not applied and the guest is told what happened instead.
 */
async function commit(app: App, guest: Guest, point: string, step: (guest: Guest) => StepResult): Promise<Guest> {
  await app.deps.hooks?.beforeCommit?.(point);
  const result = step(guest);
  if (!result.applied) throw lostRace(guest, result.current, iso(app.now()));
  return result.guest;
}

/** What moved the account while this join was working, in the guest's words. */
function lostRace(before: Guest, current: Guest | undefined, now: string): FailureError {
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

/** The sealed TOTP secret opens only with the password it was sealed under. */
async function openSealedSecret(password: string, sealed: string, email: string): Promise<string> {
  try {
    return await openWithPassword(password, sealed);
  } catch {
    throw new FailureError(`the stored MFA secret cannot be opened with this password: ask an admin to revoke and invite ${email} again`);
  }
}
