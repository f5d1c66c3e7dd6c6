import { UsageError } from '../errors.js';
import type { Factory } from '../factory.js';
import { LOCK_AFTER } from './signin.js';
import { renderQrForTerminal, writeQrPng } from './qr.js';
import { CLIENT_APPS, type APP_CHOICES, type Check, type ClientApp, type Expected, type JoinUI, type MfaSecret, type SignIn } from './ui.js';
import { valueOrPrompt } from '../prompter.js';
import { wrapText } from '../output/wrap.js';

/** The flags of `join` that answer the flow's questions (secrets already read from their files). */
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
  /** Write the MFA QR code to this PNG file too. */
  qrFile?: string;
}

const TOTP_PROMPT = '6-digit code from your authenticator';
const TERMS = "I confirm that I have read, consent, and agree to Cerby's Terms of Service";

/**
 * The join flow at the command line, as the help article's web pages: a flag wins; otherwise
 * a prompt on a terminal (inquirer validates each answer in place, so a refused value is
 * asked again with its reason and never gets a ✔); otherwise a usage error naming the flag,
 * so a script never hangs. Everything shown goes to stderr.
 */
export class FlagsAndPromptsUI implements JoinUI {
  /** Sign-in tries in this run: a person may retype a wrong password, up to the lockout. */
  private signInTries = 0;

  constructor(
    private readonly flags: JoinAnswers,
    private readonly f: Factory,
  ) {}

  private get prompter() {
    return this.f.prompter;
  }

  get interactive(): boolean {
    return this.prompter.interactive;
  }

  info(line: string): void {
    this.f.reporter.info(this.wrap(line));
  }

  /** The **Sign In** page, as the email's account details fill it in. */
  showInvite(invite: { workspace: string; username: string; tempPassword?: string }): void {
    const lines = ['Sign In', `  Workspace name:      ${invite.workspace}`, `  Username:            ${invite.username}`];
    if (invite.tempPassword !== undefined) lines.push(`  Temporary password:  ${'*'.repeat(Math.min(invite.tempPassword.length, 24))}`);
    this.f.reporter.info(lines.join('\n'));
  }

  /** Shown once, when made; with --json the secret is in the report instead (a QR file still gets written). */
  async showMfaSecret(mfa: MfaSecret): Promise<void> {
    if (this.flags.qrFile !== undefined) {
      await writeQrPng(this.flags.qrFile, mfa.uri);
      this.f.reporter.success(`Wrote the QR code to ${this.flags.qrFile} (it holds your MFA secret: delete it once scanned)`);
    }
    if (this.f.json) return;
    this.f.reporter.info(`Turn on MFA: add this key to your authenticator app\n  secret: ${mfa.secret}\n  ${mfa.uri}`);
    // The code is drawn in explicit colours; without colour (NO_COLOR, a pipe) there is no code to draw.
    if (this.f.io.stderrIsTTY && this.f.colorErr.level > 0) this.f.io.stderr.write(`${renderQrForTerminal(mfa.uri)}\n`);
    else if (this.flags.qrFile === undefined) this.f.reporter.info('  (no QR code without a colour terminal: --qr-file code.png writes it as an image)');
  }

  async username(fromInvite: string | undefined): Promise<string> {
    return this.flags.username ?? fromInvite ?? (await valueOrPrompt(this.prompter, undefined, '--username', (p) => p.input('Username')));
  }

  /** A scripted run picks "Log in as a guest user" at once; a person must, before the countdown ends. */
  async waitingPage(seconds: number): Promise<boolean> {
    if (!this.prompter.interactive) return true;
    return (await this.prompter.countdown('Log in as a guest user?', seconds)) === 'yes';
  }

  /**
   * The email's temporary password counts only when no own password was given with it. A
   * refused password is asked again on a terminal (never one that came from a flag), until
   * the lockout.
   */
  async signIn(expected: Expected, fromInvite: string | undefined, refused?: string): Promise<SignIn | undefined> {
    this.signInTries++;
    if (refused !== undefined) {
      if (!this.prompter.interactive || this.signInTries > LOCK_AFTER) return undefined;
      const flagged = expected === 'own' ? this.flags.password : this.flags.tempPassword;
      if (flagged !== undefined) return undefined;
      this.f.reporter.warn(refused);
      return this.ask(expected);
    }
    // The email's password is tried even once the guest has their own: the answer (it no
    // longer works) comes only after it matched, and a terminal then asks for the own one.
    const temporary = this.flags.tempPassword ?? (this.flags.password === undefined ? fromInvite : undefined);
    if (temporary !== undefined) return { with: 'temporary', password: temporary };
    if (this.flags.password !== undefined) return { with: 'own', password: this.flags.password };
    // One message whichever password the account takes: it is said before any password matched.
    if (!this.prompter.interactive) {
      throw new UsageError(
        'missing --password-file FILE (your own password) or --temp-password-file FILE (the one in the email); - reads either from standard input. Standard input is not a terminal, so there is no prompt',
      );
    }
    return this.ask(expected);
  }

  private async ask(expected: Expected): Promise<SignIn> {
    // One label for both: the prompt says nothing about the account before a password matched.
    const password = await this.prompter.password('Password', { validate: (v) => (v ? true : 'type the password') });
    return { with: expected, password };
  }

  /** The **Change Password** page: each field validated in place (the policy was shown first). */
  async newPassword(problem: Check): Promise<string> {
    // Given, or no terminal to ask on: the flow refuses a bad one with one usage error.
    if (this.flags.newPassword !== undefined) return this.flags.newPassword;
    if (!this.prompter.interactive) return valueOrPrompt(this.prompter, undefined, '--new-password-file', () => Promise.resolve(''));
    const first = await this.prompter.password('New Password', { validate: (v) => problem(v) ?? true });
    await this.prompter.password('Enter New Password Again', { validate: (v) => (v === first ? true : 'the two passwords differ: type the new password again') });
    return first;
  }

  name(problem: Check): Promise<string> {
    return this.text(this.flags.name, '--name', 'Name', problem);
  }

  familyName(problem: Check): Promise<string> {
    return this.text(this.flags.familyName, '--family-name', 'Family Name', problem);
  }

  /** The **Terms of service agreement** dialog: its text wrapped to the terminal, then the one question. */
  async acceptTerms(): Promise<boolean> {
    if (this.flags.acceptTos === true) return true;
    if (this.flags.declineTos) return false;
    if (!this.prompter.interactive) throw new UsageError('missing --accept-tos (or --decline-tos): standard input is not a terminal');
    this.f.reporter.info(this.wrap(`Terms of service agreement\n${TERMS}.`));
    return this.prompter.confirm('Do you agree (Continue)?', { default: false });
  }

  /** --totp-code is tried once; without it a script finishes later, a person gets asked (again, with the reason). */
  async totpCode(purpose: 'turn-on' | 'sign-in', refused: string | undefined): Promise<string | undefined> {
    if (refused === undefined) {
      if (this.flags.totpCode !== undefined) return this.flags.totpCode;
      if (!this.prompter.interactive) return undefined;
    } else {
      if (this.flags.totpCode !== undefined) return undefined;
      this.f.reporter.warn(refused);
    }
    const message = purpose === 'sign-in' ? `MFA is on: ${TOTP_PROMPT}` : TOTP_PROMPT;
    return this.prompter.input(message, { validate: (v) => (/^\d{6}$/.test(v.trim()) ? true : 'the code must be 6 digits') });
  }

  async apps(choices: typeof APP_CHOICES): Promise<ClientApp[]> {
    if (this.flags.apps !== undefined) return parseApps(this.flags.apps);
    if (!this.prompter.interactive) return parseApps(await valueOrPrompt(this.prompter, undefined, '--apps', () => Promise.resolve(''))); // throws: names the flag
    const picked = await this.prompter.checkbox(
      'Which approved Cerby client apps did you install?',
      choices.map((c) => ({ name: c.name, value: c.value })),
    );
    return picked.filter(isClientApp);
  }

  deviceName(problem: Check): Promise<string> {
    return this.text(this.flags.device, '--device', 'Name of this device (for its trusted session)', problem, 'My laptop');
  }

  given(): { apps?: ClientApp[]; device?: string } {
    return {
      apps: this.flags.apps === undefined ? undefined : parseApps(this.flags.apps),
      device: this.flags.device,
    };
  }

  hasCode(): boolean {
    return this.flags.totpCode !== undefined;
  }

  /** A prompt that asks again, with the reason, until the text is acceptable. */
  private async text(given: string | undefined, flag: string, message: string, problem: Check, fallback?: string): Promise<string> {
    return given ?? (await valueOrPrompt(this.prompter, undefined, flag, (p) => p.input(message, { default: fallback, validate: (v) => problem(v) ?? true })));
  }

  private wrap(text: string): string {
    return this.f.io.columns ? wrapText(text, this.f.io.columns) : text;
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
