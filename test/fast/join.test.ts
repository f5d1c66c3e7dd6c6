import { createCipheriv, randomBytes, scryptSync } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { FlagsAndPromptsUI, type JoinAnswers } from '../../src/join/prompt-ui.js';
import { REAL_COSTS } from '../../src/crypto/costs.js';
import { openWithPassword, sealWithPassword, verifyPassword } from '../../src/crypto/password.js';
import { totpCode } from '../../src/crypto/totp.js';
import { CliError, FailureError, UsageError } from '../../src/errors.js';
import { Factory } from '../../src/factory.js';
import { joinFlow, type JoinContext, type JoinStart } from '../../src/join/flow.js';
import type { Check, ClientApp, Expected, JoinUI, MfaSecret, SignIn } from '../../src/join/ui.js';
import type { Prompter } from '../../src/prompter.js';
import type { Guest } from '../../src/store/types.js';
import { CHEAP_COSTS } from '../helpers.js';
import { fastWorkspace, type FastWorkspace } from './harness.js';

/**
 * The join flow (src/join/flow.ts) driven through a scripted JoinUI on an in-memory store: no
 * prompt, no file, no scrypt worth the name. The workspace and the invite come from the real
 * command line (fast layer); the flow is called directly.
 */

const GUEST = 'ada@partner.example';
const PASSWORD = 'correct horse battery staple 42';
const START: JoinStart = { invite: {}, waitSeconds: 5 };

/** What a script answers; a question it has no answer for fails the test. */
interface Script {
  username?: string;
  waitingPage?: boolean;
  signIn?: SignIn;
  /** Tried in order until the policy accepts one (a person typing again after the reason). */
  newPasswords?: string[];
  name?: string;
  familyName?: string;
  acceptTerms?: boolean;
  /** One per ask; a function gets the secret shown. undefined: no (more) code. */
  totpCodes?: (string | ((secret: string) => string) | undefined)[];
  apps?: ClientApp[];
  device?: string;
  /** Passwords typed again after a refused sign-in (a person at a terminal), in order. */
  retries?: SignIn[];
  /** Answers given up front, as flags give them. */
  given?: { apps?: ClientApp[]; device?: string };
  /** A script without a person: nothing is asked that was not given (default: a person). */
  interactive?: boolean;
}

class ScriptedUI implements JoinUI {
  readonly interactive: boolean;
  invite?: { workspace: string; username: string; tempPassword?: string };
  /** Every question, in the order the flow asked. */
  readonly asked: string[] = [];
  readonly said: string[] = [];
  /** The reasons the flow gave for refused answers, in order. */
  readonly refusals: string[] = [];
  shown?: MfaSecret;
  expected?: Expected;

  constructor(private readonly script: Script) {
    this.interactive = script.interactive ?? true;
  }

  private answer<T>(question: string, value: T | undefined): Promise<T> {
    this.asked.push(question);
    if (value === undefined) return Promise.reject(new Error(`the script has no answer for ${question}`));
    return Promise.resolve(value);
  }

  /** Answers from `candidates` until `problem` accepts one, keeping the reasons. */
  private untilValid(question: string, candidates: string[] | undefined, problem: Check): Promise<string> {
    this.asked.push(question);
    for (const candidate of candidates ?? []) {
      const reason = problem(candidate);
      if (!reason) return Promise.resolve(candidate);
      this.refusals.push(reason);
    }
    return Promise.reject(new Error(`the script ran out of answers for ${question}`));
  }

  info(line: string): void {
    this.said.push(line);
  }
  showInvite(invite: { workspace: string; username: string; tempPassword?: string }): void {
    this.invite = invite;
  }
  given(): { apps?: ClientApp[]; device?: string } {
    return this.script.given ?? {};
  }
  hasCode(): boolean {
    return (this.script.totpCodes?.length ?? 0) > 0;
  }
  showMfaSecret(mfa: MfaSecret): Promise<void> {
    this.shown = mfa;
    return Promise.resolve();
  }
  username(fromInvite: string | undefined): Promise<string> {
    return this.answer('username', this.script.username ?? fromInvite);
  }
  waitingPage(): Promise<boolean> {
    return this.answer('waitingPage', this.script.waitingPage ?? true);
  }
  signIn(expected: Expected, _fromInvite: string | undefined, refused?: string): Promise<SignIn | undefined> {
    this.expected = expected;
    if (refused === undefined) return this.answer('signIn', this.script.signIn);
    this.asked.push('signIn');
    this.refusals.push(refused);
    return Promise.resolve(this.script.retries?.shift());
  }
  newPassword(problem: Check): Promise<string> {
    return this.untilValid('newPassword', this.script.newPasswords, problem);
  }
  name(problem: Check): Promise<string> {
    return this.untilValid('name', this.script.name === undefined ? undefined : [this.script.name], problem);
  }
  familyName(problem: Check): Promise<string> {
    return this.untilValid('familyName', this.script.familyName === undefined ? undefined : [this.script.familyName], problem);
  }
  acceptTerms(): Promise<boolean> {
    return this.answer('acceptTerms', this.script.acceptTerms);
  }
  totpCode(purpose: 'turn-on' | 'sign-in', refused: string | undefined): Promise<string | undefined> {
    this.asked.push(purpose === 'sign-in' ? 'signInCode' : 'totpCode');
    if (refused !== undefined) this.refusals.push(refused);
    const codes = this.script.totpCodes;
    if (!codes || codes.length === 0) return Promise.resolve(undefined);
    const next = codes.shift();
    if (typeof next !== 'function') return Promise.resolve(next);
    if (!this.shown) return Promise.reject(new Error('asked for a code before the secret was shown'));
    return Promise.resolve(next(this.shown.secret));
  }
  apps(): Promise<ClientApp[]> {
    return this.answer('apps', this.script.apps);
  }
  deviceName(problem: Check): Promise<string> {
    return this.untilValid('deviceName', this.script.device === undefined ? undefined : [this.script.device], problem);
  }
}

async function invited(): Promise<FastWorkspace & { ctx: JoinContext; temp: string; guest: () => Promise<Guest> }> {
  const ws = await fastWorkspace();
  const invite = await ws.cli(['invite', GUEST]);
  if (invite.code !== 0) throw new Error(invite.stderr);
  const workspace = await ws.store.workspace.get();
  if (!workspace) throw new Error('no workspace');
  const ctx: JoinContext = { store: ws.store, workspace, now: ws.clock.now, costs: CHEAP_COSTS };
  const guest = async () => {
    const found = await ws.store.guests.find(GUEST);
    if (!found) throw new Error(`no guest ${GUEST}`);
    return found;
  };
  return { ...ws, ctx, temp: ws.mailer.tempPasswordFor(GUEST), guest };
}

/** The answers of a first join up to the terms. */
const firstJoin = (temp: string): Script => ({
  username: GUEST,
  signIn: { with: 'temporary', password: temp },
  newPasswords: [PASSWORD],
  name: 'Ada',
  familyName: 'Lovelace',
});

/** The answers of a later join, signing in with the own password. */
const resumed = (extra: Script = {}): Script => ({ username: GUEST, signIn: { with: 'own', password: PASSWORD }, ...extra });

async function refusal(promise: Promise<unknown>): Promise<CliError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof CliError) return error;
    throw error;
  }
  throw new Error('the flow did not refuse');
}

describe('the join flow through a scripted JoinUI', () => {
  test('the scripted path end to end: every step of the help article, in order, and the account set up', async () => {
    const { ctx, temp, clock, store, guest } = await invited();
    const ui = new ScriptedUI({
      ...firstJoin(temp),
      name: '  Ada  ',
      acceptTerms: true,
      totpCodes: [(secret) => totpCode(secret, clock.current.getTime())],
      apps: ['mobile', 'extension'],
      device: 'CI runner',
    });
    const report = await joinFlow(ctx, START, ui);

    expect(ui.asked).toEqual(['username', 'waitingPage', 'signIn', 'newPassword', 'name', 'familyName', 'acceptTerms', 'totpCode', 'apps', 'deviceName']);
    expect(ui.expected).toBe('temporary');
    expect(ui.said[0]).toMatch(/^Authentication waiting page: choose "Log in as a guest user" now/);
    expect(ui.said[1]).toMatch(/^Password policy \(NIST SP 800-63B rev\. 4\):\n {2}• at least 15 characters/);
    expect(ui.refusals).toEqual([]);
    expect(report).toEqual({
      email: GUEST,
      workspace: 'Acme',
      status: 'joined',
      steps: [
        'opened the invite',
        'logged in as a guest user',
        'signed in with the temporary password',
        'set a new password',
        'accepted the Terms of Service',
        'joined',
        'made your MFA secret: add it to your authenticator app',
        'turned on MFA',
        'recorded client apps: mobile, extension',
        'set up the trusted session for "CI runner"',
      ],
      setup: { step: 'device_trusted', passwordSet: true, tosAccepted: true, mfa: true, apps: ['mobile', 'extension'], trustedDevices: ['CI runner'], complete: true },
      mfa: ui.shown,
      next: undefined,
      ok: true,
    });
    expect(ui.shown?.uri).toMatch(/^otpauth:\/\/totp\/Cerby%20Acme:ada%40partner\.example\?issuer=Cerby%20Acme&secret=[A-Z2-7]{32}&/);

    const joined = await guest();
    expect(joined).toMatchObject({ status: 'joined', name: 'Ada', familyName: 'Lovelace', joinedAt: clock.current.toISOString(), failedSignins: 0 });
    const credentials = await store.credentials.get(joined.id);
    // The tests' cheap scrypt, its parameters in the hash and in the sealed secret.
    expect(credentials?.passwordHash).toMatch(/^scrypt\$1024\$8\$1\$/);
    expect(await verifyPassword(PASSWORD, credentials?.passwordHash ?? '')).toBe(true);
    expect(credentials?.totpSecretEnc).toMatch(/^v2\$1024\$8\$1\$/);
    expect(await openWithPassword(PASSWORD, credentials?.totpSecretEnc ?? '')).toBe(ui.shown?.secret);
  });

  test('a refused new password is asked again with its reason; a UI that cannot ask again gets one usage error and nothing changes', async () => {
    const { ctx, temp, guest, store } = await invited();
    // A UI that gives one bad answer and cannot ask again.
    const once = new ScriptedUI({ ...firstJoin(temp), newPasswords: [], acceptTerms: true });
    once.newPassword = () => Promise.resolve('hello-ada-is-my-password');
    const refused = await refusal(joinFlow(ctx, START, once));
    expect(refused).toBeInstanceOf(UsageError);
    expect(refused.message).toBe('--new-password refused: it contains your username');
    expect(await guest()).toMatchObject({ status: 'pending', setup: 'temporary_password' });

    const ui = new ScriptedUI({
      ...firstJoin(temp),
      newPasswords: ['short pass 123', temp, '123456789987654321', 'my ada@partner.example pw', PASSWORD],
      acceptTerms: true,
    });
    const report = await joinFlow(ctx, START, ui);
    expect(ui.refusals).toEqual([
      'it has 14 characters; the policy needs at least 15',
      'it is the temporary password: choose a new one',
      'it is on the list of commonly used passwords',
      'it contains your username',
    ]);
    expect(report.steps).toContain('set a new password');
    expect(await verifyPassword(PASSWORD, (await store.credentials.get((await guest()).id))?.passwordHash ?? '')).toBe(true);
  });

  test('declined terms stop the join (exit 1, still pending); the next join signs in with the own password and resumes there', async () => {
    const { ctx, temp, guest } = await invited();
    const declining = new ScriptedUI({ ...firstJoin(temp), acceptTerms: false });
    const declined = await refusal(joinFlow(ctx, START, declining));
    expect(declined).toBeInstanceOf(FailureError);
    expect(declined.message).toBe('you declined the Terms of Service, so you have not joined. Run join again (with your new password) to continue from this step');
    expect(declining.asked.at(-1)).toBe('acceptTerms');
    expect(await guest()).toMatchObject({ status: 'pending', setup: 'own_password' });

    // The temporary password stopped working when the own one was set.
    const withTemp = await refusal(joinFlow(ctx, START, new ScriptedUI({ ...firstJoin(temp), acceptTerms: true })));
    expect(withTemp.message).toMatch(/^you already set your own password: the temporary one no longer works/);

    const ui = new ScriptedUI(resumed({ acceptTerms: true }));
    const report = await joinFlow(ctx, START, ui);
    expect(ui.expected).toBe('own');
    expect(ui.asked).toEqual(['username', 'waitingPage', 'signIn', 'acceptTerms', 'totpCode']);
    expect(report.steps).toEqual([
      'opened the invite',
      'logged in as a guest user',
      'signed in with your password',
      'accepted the Terms of Service',
      'joined',
      'made your MFA secret: add it to your authenticator app',
    ]);
    // No code now: the secret is in the report and the flow says how to finish.
    expect(report).toMatchObject({ status: 'joined', setup: { step: 'terms_accepted', complete: false }, mfa: ui.shown });
    expect(report.next).toBe('run join again with --username, --password-file FILE (your password) and --totp-code CODE (a code from your authenticator) to finish');
  });

  test('a wrong temporary password: the same words as an unknown user, counted, nothing asked after it; the 5th locks', async () => {
    const { ctx, temp, guest, store } = await invited();
    const wrong = () => new ScriptedUI({ ...firstJoin(temp), signIn: { with: 'temporary', password: 'x'.repeat(24) } });
    const ui = wrong();
    const refused = await refusal(joinFlow(ctx, START, ui));
    expect(refused).toBeInstanceOf(FailureError);
    expect(refused.message).toBe('wrong username or password');
    // Asked again (a person retypes); a UI that has nothing more stops with the reason.
    expect(ui.asked).toEqual(['username', 'waitingPage', 'signIn', 'signIn']);
    expect(ui.refusals).toEqual(['wrong username or password']);
    expect(await store.credentials.lockState((await guest()).id)).toEqual({ failedSignins: 1, lockedAt: null });

    const unknown = await refusal(joinFlow(ctx, START, new ScriptedUI({ ...firstJoin(temp), username: 'nobody@partner.example' })));
    expect(unknown.message).toBe(refused.message);

    // Locked after the 5th, yet a wrong password still gets the words of an unknown user.
    for (let i = 2; i <= 6; i++) expect((await refusal(joinFlow(ctx, START, wrong()))).message).toBe('wrong username or password');
    expect(await store.credentials.lockState((await guest()).id)).toMatchObject({ failedSignins: 6 });
    expect((await guest()).lockedAt).not.toBeNull();
    // Only the right password learns of the lock.
    const right = new ScriptedUI({ ...firstJoin(temp), acceptTerms: true });
    expect((await refusal(joinFlow(ctx, START, right))).message).toBe('this invite is locked after 5 failed sign-ins: ask an admin to resend it');
    expect(right.asked).toEqual(['username', 'waitingPage', 'signIn']);
    expect(await guest()).toMatchObject({ status: 'pending', setup: 'temporary_password' });
    // The trail: each failure with its reason and count, and the lock once.
    const trail = (await store.audit.forTarget(GUEST)).map((e) => e.action);
    expect(trail.filter((a) => a === 'signin.failed')).toHaveLength(6);
    expect(trail.filter((a) => a === 'signin.locked')).toHaveLength(1);
  });

  test('MFA: a wrong code is asked again with the reason, then the right one turns MFA on; a used step is refused; three wrong codes fail', async () => {
    const { ctx, temp, clock, guest, store } = await invited();
    const first = await joinFlow(ctx, START, new ScriptedUI({ ...firstJoin(temp), acceptTerms: true }));
    const secret = first.mfa?.secret ?? '';
    const now = () => clock.current.getTime();

    // Three wrong codes: the third refusal fails the run; MFA stays off.
    const wrong = new ScriptedUI(resumed({ totpCodes: ['000000', '111111', '222222', '333333'] }));
    const failed = await refusal(joinFlow(ctx, START, wrong));
    expect(failed.message).toBe('MFA not turned on: the code is expired or not yet valid: use the one your authenticator shows now');
    expect(wrong.refusals).toEqual(['the code is expired or not yet valid: use the one your authenticator shows now', 'the code is expired or not yet valid: use the one your authenticator shows now']);
    expect((await guest()).setup).toBe('terms_accepted');

    // A UI with no second code (one given up front) fails with the reason of the first.
    const once = new ScriptedUI(resumed({ totpCodes: ['000000'] }));
    expect((await refusal(joinFlow(ctx, START, once))).message).toBe('MFA not turned on: the code is expired or not yet valid: use the one your authenticator shows now');
    expect(once.asked.filter((q) => q === 'totpCode')).toHaveLength(2);

    // The current step used already (as by a sign-in elsewhere): refused, the next step's code works.
    const step = Math.floor(now() / 30000);
    expect(await store.credentials.useTotpStep((await guest()).id, step, clock.current.toISOString())).toBe(true);
    const used = new ScriptedUI(resumed({ totpCodes: [totpCode(secret, now()), totpCode(secret, now() + 30000)], apps: [], device: 'laptop' }));
    const report = await joinFlow(ctx, START, used);
    // The secret was shown when it was made, never again.
    expect(used.shown).toBeUndefined();
    expect(used.refusals).toEqual(['this code was used already: wait for the next one']);
    expect(report.steps.slice(3)).toEqual(['turned on MFA', 'recorded client apps: none', 'set up the trusted session for "laptop"']);
    expect(report.setup).toMatchObject({ mfa: true, complete: true });
    expect((await store.credentials.get((await guest()).id))?.totpLastStep).toBe(step + 1);
  });

  test('the command\'s UI never asks for a value a flag already gave, on a terminal too (only the waiting page is a question)', async () => {
    const { ctx, temp, guest, store } = await invited();
    const questions: string[] = [];
    const refuse = (kind: string) => (message: string) => {
      questions.push(`${kind}: ${message}`);
      return Promise.reject(new Error(`prompted: ${message}`));
    };
    const prompter: Prompter = {
      interactive: true,
      input: refuse('input'),
      password: refuse('password'),
      checkbox: refuse('checkbox'),
      pick: refuse('pick'),
      confirm: refuse('confirm'),
      countdown: (message) => {
        questions.push(`countdown: ${message}`);
        return Promise.resolve('yes');
      },
    };
    const stderr = new PassThrough();
    const f = new Factory({
      io: { stdin: new PassThrough(), stdout: new PassThrough(), stderr, stdinIsTTY: true, stdoutIsTTY: true, stderrIsTTY: true },
      prompter,
      now: ctx.now,
      monotonic: () => performance.now(),
      env: {},
      cwd: process.cwd(),
      version: '0.0.0-test',
    });
    f.configure({});
    const run = (flags: JoinAnswers) => joinFlow(ctx, START, new FlagsAndPromptsUI(flags, f));
    const onlyTheWaitingPage = () => {
      expect(questions).toEqual(['countdown: Log in as a guest user?']);
      questions.length = 0;
    };

    const declined = await refusal(run({ username: GUEST, tempPassword: temp, newPassword: PASSWORD, name: 'Ada', familyName: 'L', declineTos: true }));
    expect(declined.message).toMatch(/declined the Terms of Service/);
    onlyTheWaitingPage();

    // A code given up front is tried once, never asked again.
    const wrongCode = await refusal(run({ username: GUEST, password: PASSWORD, acceptTos: true, totpCode: '000000' }));
    expect(wrongCode.message).toBe('MFA not turned on: the code is expired or not yet valid: use the one your authenticator shows now');
    onlyTheWaitingPage();

    const secret = await openWithPassword(PASSWORD, (await store.credentials.get((await guest()).id))?.totpSecretEnc ?? '');
    const report = await run({ username: GUEST, password: PASSWORD, totpCode: totpCode(secret, ctx.now().getTime()), apps: 'mobile', device: 'laptop' });
    expect(report.setup).toMatchObject({ mfa: true, apps: ['mobile'], trustedDevices: ['laptop'], complete: true });
    onlyTheWaitingPage();
  });
});

describe('sealing the TOTP secret', () => {
  test('a sealed secret records its scrypt cost; one sealed before that (v1, N=2^15) still opens; a wrong password does not', async () => {
    const sealed = await sealWithPassword(PASSWORD, 'JBSWY3DPEHPK3PXP', CHEAP_COSTS.seal);
    expect(sealed).toMatch(/^v2\$1024\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
    expect(await openWithPassword(PASSWORD, sealed)).toBe('JBSWY3DPEHPK3PXP');
    await expect(openWithPassword(`${PASSWORD}!`, sealed)).rejects.toThrow();

    // As the code before this change sealed: the cost implied, never written.
    const salt = randomBytes(16);
    const iv = randomBytes(12);
    const key = scryptSync(PASSWORD.normalize('NFKC'), salt, 32, { ...REAL_COSTS.seal, maxmem: 256 * 1024 * 1024 });
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    const ciphertext = Buffer.concat([cipher.update('JBSWY3DPEHPK3PXP', 'utf8'), cipher.final()]);
    const v1 = ['v1', ...[salt, iv, cipher.getAuthTag(), ciphertext].map((b) => b.toString('base64'))].join('$');
    expect(await openWithPassword(PASSWORD, v1)).toBe('JBSWY3DPEHPK3PXP');
    await expect(openWithPassword(`${PASSWORD}!`, v1)).rejects.toThrow();
  });
});
