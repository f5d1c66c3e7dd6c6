import { UsageError } from '../errors.js';
import type { Factory } from '../factory.js';
import { CLIENT_APPS, type APP_CHOICES, type Check, type ClientApp, type Expected, type JoinUI, type MfaSecret, type SignIn } from './ui.js';
import { valueOrPrompt } from '../prompter.js';

/** The flags of `join` that answer the flow's questions. */
export interface JoinAnswers {
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
}

const TOTP_PROMPT = '6-digit code from your authenticator';

/**
 * The join flow at the command line: a flag wins; otherwise a prompt on a terminal (asked
 * again, with the reason, until the answer is acceptable); otherwise a usage error naming the
 * flag, so a script never hangs. Information goes to stderr.
 */
export class FlagsAndPromptsUI implements JoinUI {
  constructor(
    private readonly flags: JoinAnswers,
    private readonly f: Factory,
  ) {}

  private get prompter() {
    return this.f.prompter;
  }

  info(line: string): void {
    this.f.reporter.info(line);
  }

  /** With --json the secret is in the report instead. */
  async showMfaSecret(mfa: MfaSecret): Promise<void> {
    if (this.f.json) return;
    this.f.reporter.info(`Turn on MFA: add this key to your authenticator app\n  secret: ${mfa.secret}\n  ${mfa.uri}`);
    if (this.f.io.stderrIsTTY) {
      const qrcode = (await import('qrcode-terminal')).default;
      qrcode.generate(mfa.uri, { small: true }, (qr: string) => this.f.io.stderr.write(`${qr}\n`));
    }
  }

  async username(fromInvite: string | undefined): Promise<string> {
    return this.flags.username ?? fromInvite ?? (await valueOrPrompt(this.prompter, undefined, '--username', (p) => p.input('Username')));
  }

  /** A scripted run picks "Log in as a guest user" at once; a person must, before the page redirects. */
  async waitingPage(seconds: number): Promise<boolean> {
    if (!this.prompter.interactive) return true;
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), seconds * 1000);
    try {
      return await this.prompter.confirm('Log in as a guest user?', { default: true, signal: abort.signal });
    } catch (error) {
      if (!abort.signal.aborted) throw error;
      return false;
    } finally {
      clearTimeout(timer);
    }
  }

  /** The email's temporary password counts only when no own password was given with it. */
  async signIn(expected: Expected, fromInvite: string | undefined): Promise<SignIn> {
    const temporary = this.flags.tempPassword ?? (this.flags.password === undefined ? fromInvite : undefined);
    if (temporary !== undefined) return { with: 'temporary', password: temporary };
    if (this.flags.password !== undefined || expected === 'own') {
      return { with: 'own', password: await valueOrPrompt(this.prompter, this.flags.password, '--password', (p) => p.password('Password')) };
    }
    return { with: 'temporary', password: await valueOrPrompt(this.prompter, undefined, '--temp-password', (p) => p.password('Temporary password')) };
  }

  async newPassword(problem: Check): Promise<string> {
    const ask = async () => {
      const first = await this.prompter.password('New password');
      const again = await this.prompter.password('Enter new password again');
      return { first, same: first === again };
    };
    // Given, or no terminal to ask again on: the flow refuses a bad one with one usage error.
    if (this.flags.newPassword !== undefined || !this.prompter.interactive) {
      return valueOrPrompt(this.prompter, this.flags.newPassword, '--new-password', async () => (await ask()).first);
    }
    for (;;) {
      const { first, same } = await ask();
      const reason = same ? problem(first) : 'the two passwords differ';
      if (!reason) return first;
      this.f.reporter.warn(`refused: ${reason}`);
    }
  }

  name(problem: Check): Promise<string> {
    return this.text(this.flags.name, '--name', 'Name', problem);
  }

  familyName(problem: Check): Promise<string> {
    return this.text(this.flags.familyName, '--family-name', 'Family name', problem);
  }

  async acceptTerms(): Promise<boolean> {
    if (this.flags.acceptTos === true) return true;
    if (this.flags.declineTos) return false;
    if (!this.prompter.interactive) throw new UsageError('missing --accept-tos (or --decline-tos): standard input is not a terminal');
    return this.prompter.confirm("I confirm that I have read, consent, and agree to Cerby's Terms of Service", { default: false });
  }

  /** --totp-code is tried once; without it a script finishes later, a person gets asked (again, with the reason). */
  async totpCode(refused: string | undefined): Promise<string | undefined> {
    if (refused === undefined) {
      if (this.flags.totpCode !== undefined) return this.flags.totpCode;
      return this.prompter.interactive ? this.prompter.input(TOTP_PROMPT) : undefined;
    }
    if (this.flags.totpCode !== undefined) return undefined;
    this.f.reporter.warn(refused);
    return this.prompter.input(TOTP_PROMPT);
  }

  async apps(choices: typeof APP_CHOICES): Promise<ClientApp[]> {
    if (this.flags.apps !== undefined) return parseApps(this.flags.apps);
    if (!this.prompter.interactive) return parseApps(await valueOrPrompt(this.prompter, undefined, '--apps', () => Promise.resolve(''))); // throws: names the flag
    const picked = await this.prompter.checkbox(
      'Which approved Cerby apps did you install?',
      choices.map((c) => ({ name: c.name, value: c.value })),
    );
    return picked.filter(isClientApp);
  }

  deviceName(problem: Check): Promise<string> {
    return this.text(this.flags.device, '--device', 'Name of this device', problem, 'My laptop');
  }

  /** A prompt that asks again, with the reason, until the text is acceptable. */
  private async text(given: string | undefined, flag: string, message: string, problem: Check, fallback?: string): Promise<string> {
    return given ?? (await valueOrPrompt(this.prompter, undefined, flag, (p) => p.input(message, { default: fallback, validate: (v) => problem(v) ?? true })));
  }
}

const isClientApp = (app: string): app is ClientApp => (CLIENT_APPS as readonly string[]).includes(app);

/** `--apps mobile,extension` or `none`. */
export function parseApps(text: string): ClientApp[] {
  const apps = text
    .split(',')
    .map((a) => a.trim().toLowerCase())
    .filter(Boolean);
  if (apps.length === 1 && apps[0] === 'none') return [];
  const known: ClientApp[] = [];
  for (const a of apps) {
    if (!isClientApp(a)) throw new UsageError(`unknown app ${JSON.stringify(a.slice(0, 40))} in --apps: use mobile, extension or none`);
    known.push(a);
  }
  return [...new Set(known)];
}
