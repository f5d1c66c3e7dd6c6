/**
 * How the join flow talks to the guest. The flow (src/join/flow.ts) decides what happens; a
 * JoinUI only answers its questions and shows what it is told. The `join` command answers
 * from its flags and, on a terminal, with prompts (src/commands/join/ui.ts); tests answer
 * from a script.
 */

/** Why an answer is refused, or undefined when it is fine. */
export type Check = (value: string) => string | undefined;

/** Which password the account expects at step 3: the invite's temporary one, or (resuming) the guest's own. */
export type Expected = 'temporary' | 'own';

/** What the guest signs in with. */
export type SignIn = { with: 'temporary'; password: string } | { with: 'own'; password: string };

export const CLIENT_APPS = ['mobile', 'extension'] as const;
export type ClientApp = (typeof CLIENT_APPS)[number];

/** The approved client apps, as the guest is shown them. */
export const APP_CHOICES: readonly { value: ClientApp; name: string }[] = [
  { value: 'mobile', name: 'Cerby mobile app' },
  { value: 'extension', name: 'Cerby browser extension' },
];

/** The TOTP secret being set up: its base32 key and `otpauth://` URI. */
export interface MfaSecret {
  secret: string;
  uri: string;
}

export interface JoinUI {
  /** True when a question can be asked now (a person at a terminal); false: only flags answer. */
  readonly interactive: boolean;

  // ── what the flow says ──

  /** A line of information (the waiting page, the password policy). */
  info(line: string): void;
  /** Step 1: what the invite says, as the guest sees it (the temporary password masked). */
  showInvite(invite: { workspace: string; username: string; tempPassword?: string }): void;
  /** Step 7a: the new TOTP secret to add to an authenticator app (with a QR code where one can be drawn). */
  showMfaSecret(mfa: MfaSecret): Promise<void>;

  // ── what the flow asks, in the order it asks ──

  /** Step 1: the username; `fromInvite` is what the opened invite says, if it says. */
  username(fromInvite: string | undefined): Promise<string>;
  /** Step 2: true if the guest chose "Log in as a guest user" within `seconds`; false: redirected to the identity provider. */
  waitingPage(seconds: number): Promise<boolean>;
  /**
   * Step 3: the password the guest signs in with. `expected` is what the account takes;
   * `fromInvite` the invite's temporary password. `refused` is why the last one was not
   * accepted, when the flow asks again: a UI that cannot ask again returns undefined.
   */
  signIn(expected: Expected, fromInvite: string | undefined, refused?: string): Promise<SignIn | undefined>;
  /**
   * Step 4: the new password, typed twice. `problem` is the policy: a UI that can ask again
   * does so, with the reason, until the answer passes; one that cannot gives the answer as it
   * is, and the flow, which checks every answer again, refuses it with the reason.
   */
  newPassword(problem: Check): Promise<string>;
  /** Step 4: name and family name, checked by `problem` like the new password (the flow trims them). */
  name(problem: Check): Promise<string>;
  familyName(problem: Check): Promise<string>;
  /** Step 5: true accepts Cerby's Terms of Service, false declines them. */
  acceptTerms(): Promise<boolean>;
  /**
   * A 6-digit code from the authenticator: to turn MFA on (step 7a), or, once it is on, to
   * sign in before anything else. `refused` is why the last code was not accepted, when the
   * flow asks again. Undefined: no (more) code; on the first ask the flow stops there and says
   * how to go on, after a refusal it fails with the reason.
   */
  totpCode(purpose: 'turn-on' | 'sign-in', refused: string | undefined): Promise<string | undefined>;
  /** Step 7b: the approved client apps installed (possibly none). */
  apps(choices: typeof APP_CHOICES): Promise<ClientApp[]>;
  /** Step 7c: the name of this device, for its trusted session. */
  deviceName(problem: Check): Promise<string>;
  /**
   * Answers for steps 7b and 7c given up front (flags), without asking: kept for when those
   * steps can run, in this call or a later one.
   */
  given(): { apps?: ClientApp[]; device?: string };
  /** True when a code is at hand without asking (a flag): this call may turn MFA on. */
  hasCode(): boolean;
}
