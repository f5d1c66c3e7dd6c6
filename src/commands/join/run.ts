import type { App } from '../../app.js';
import { FailureError, UsageError } from '../../errors.js';
import { checkTempPassword } from '../../invites/verify.js';
import { valueOrPrompt, type Prompter } from '../../prompter.js';
import {
  addTrustedDevice,
  getCredentials,
  lockState,
  markJoined,
  passwordPolicy,
  recordApps,
  recordFailedSignin,
  resetFailedSignins,
  setGuestPassword,
  setupState,
  storeTotpSecret,
  tempPasswordIssuedAfter,
  useTotpStep,
  type SetupState,
} from '../../store/join.js';
import type { Guest } from '../../store/types.js';
import { iso } from '../../time.js';
import { emailKey, nameProblem, requireEmail } from '../../validate.js';
import { openInviteEmail, openInviteLink, type OpenedInvite } from './invite-email.js';
import { describePolicy, hashPassword, openWithPassword, passwordProblem, sealWithPassword, verifyPassword } from './password.js';
import { newTotpSecret, totpStep, totpUri } from './totp.js';

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
  setup: SetupState;
  /** Only in the run that created the MFA secret, or that shows a pending one again. */
  mfa?: { secret: string; uri: string };
  next?: string;
}

export const LOCK_AFTER = 5;
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
    const count = store.write(() => recordFailedSignin(store, guest.id, LOCK_AFTER, iso(app.now())));
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
    (options.username ?? opened.username ?? (await valueOrPrompt(app.prompter, undefined, '--username', (p) => p.input('Username')))).trim(),
    'username',
  );
  steps.push('opened the invite');

  // 2. The waiting page.
  await waitingPage(app, options.waitSeconds);
  steps.push('logged in as a guest user');

  // 3. Sign in: with the temporary password, or (resuming) with the guest's own. Nothing about
  // the account (revoked, already joined, own password set) is said before a password matched.
  let guest = store.findGuest(emailKey(username));
  if (guest && lockState(store, guest.id).lockedAt) refuseSignin('locked', guest);
  const credentials = guest ? getCredentials(store, guest.id) : undefined;
  // The email's temporary password counts only when no own password was given with it.
  const givenTemp = options.tempPassword ?? (options.password === undefined ? opened.tempPassword : undefined);
  let ownPassword: string;
  let tempPassword: string | undefined;
  if (!credentials || givenTemp !== undefined) {
    tempPassword = givenTemp ?? (await valueOrPrompt(app.prompter, undefined, '--temp-password', (p) => p.password('Temporary password')));
    const { verdict } = checkTempPassword(store, workspace, username, tempPassword, iso(app.now()));
    if (verdict === 'wrong') failSignin(app, guest);
    if (verdict !== 'ok') refuseSignin(verdict, guest);
    // The temporary password stopped working at step 4, unless an admin sent a new invite since
    // (a resend, or a new invite after a revoke): that one starts the account over.
    if (credentials && !tempPasswordIssuedAfter(store, guest!.id, guest!.sendCount, credentials.passwordSetAt)) refuseSignin('wrong-temp', guest);
    store.write(() => resetFailedSignins(store, guest!.id));
    steps.push('signed in with the temporary password');

    // 4. Change password, then name and family name.
    const policy = passwordPolicy(store);
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
    const hash = await hashPassword(ownPassword);
    const at = iso(app.now());
    store.write(() => {
      setGuestPassword(store, guest!.id, hash, name, familyName, at);
      store.audit({ at, actor: guest!.email, action: 'join.password', target: emailKey(guest!.email), detail: null });
    });
    steps.push('set a new password');
  } else {
    ownPassword = await valueOrPrompt(app.prompter, options.password, '--password', (p) => p.password('Password'));
    if (!(await verifyPassword(ownPassword, credentials.passwordHash))) failSignin(app, guest);
    if (guest!.status === 'revoked') refuseSignin('revoked', guest);
    store.write(() => resetFailedSignins(store, guest!.id));
    steps.push('signed in with your password');
  }
  guest = store.getGuest(guest!.id)!;

  // 5 and 6. Terms of Service; accepting them is joining.
  if (guest.status !== 'joined') {
    let accepted = options.acceptTos === true;
    if (!accepted && !options.declineTos) {
      if (!app.prompter.interactive) throw new UsageError('missing --accept-tos (or --decline-tos): standard input is not a terminal');
      accepted = await app.prompter.confirm("I confirm that I have read, consent, and agree to Cerby's Terms of Service", { default: false });
    }
    if (!accepted) {
      store.write(() => store.audit({ at: iso(app.now()), actor: guest!.email, action: 'join.tos-declined', target: emailKey(guest!.email), detail: null }));
      throw new FailureError('you declined the Terms of Service, so you have not joined. Run join again (with your new password) to continue from this step');
    }
    const at = iso(app.now());
    store.write(() => {
      markJoined(store, guest!.id, at);
      store.audit({ at, actor: guest!.email, action: 'join', target: emailKey(guest!.email), detail: null });
    });
    steps.push('accepted the Terms of Service');
    steps.push('joined');
  }

  // 7a. MFA.
  let mfa: JoinReport['mfa'];
  let next: string | undefined;
  let state = setupState(store, guest.id);
  if (!state.mfa) {
    const stored = getCredentials(store, guest.id)!;
    let secret: string;
    if (stored.totpSecretEnc) secret = await openWithPassword(ownPassword, stored.totpSecretEnc);
    else {
      secret = newTotpSecret();
      const sealed = await sealWithPassword(ownPassword, secret);
      store.write(() => storeTotpSecret(store, guest!.id, sealed));
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
        const ok = step !== undefined && store.write(() => useTotpStep(store, guest!.id, step, iso(app.now())));
        if (ok) break;
        const reason = step === undefined ? 'the code is not valid now' : 'this code was used already: wait for the next one';
        if (options.totpCode !== undefined || tries >= 2) throw new FailureError(`MFA not turned on: ${reason}`);
        app.warn(reason);
        code = undefined;
      }
      steps.push('turned on MFA');
      mfa = options.totpCode !== undefined ? undefined : mfa;
    }
  }

  // 7b and 7c: approved client apps, a trusted session for this device.
  state = setupState(store, guest.id);
  if (state.mfa && state.apps === null) {
    const apps =
      options.apps !== undefined
        ? parseApps(options.apps)
        : app.prompter.interactive
          ? await app.prompter.checkbox(
              'Which approved Cerby apps did you install?',
              APPS.map((a) => ({ name: APP_NAMES[a]!, value: a })),
            )
          : parseApps(await valueOrPrompt(app.prompter, undefined, '--apps', async () => '')); // throws: names the flag
    store.write(() => recordApps(store, guest!.id, apps, iso(app.now())));
    steps.push(`recorded client apps: ${apps.length ? apps.join(', ') : 'none'}`);
  }
  state = setupState(store, guest.id);
  if (state.mfa && state.trustedDevices.length === 0) {
    const device = requireText(
      options.device ?? (await valueOrPrompt(app.prompter, undefined, '--device', askText('Name of this device', '--device', 'My laptop'))),
      '--device',
    );
    store.write(() => {
      addTrustedDevice(store, guest!.id, device, iso(app.now()));
      store.audit({ at: iso(app.now()), actor: guest!.email, action: 'join.device', target: emailKey(guest!.email), detail: { device } });
    });
    steps.push(`registered the trusted device "${device}"`);
  }

  state = setupState(store, guest.id);
  return {
    email: guest.email,
    workspace: workspace.name,
    status: store.getGuest(guest.id)!.status === 'joined' ? 'joined' : 'pending',
    steps,
    setup: state,
    mfa: state.mfa ? undefined : mfa,
    next,
  };
}
