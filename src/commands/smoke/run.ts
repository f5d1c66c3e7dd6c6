import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { App } from '../../app.js';
import type { RenderedEmail } from '../../email/render.js';
import { CliError, FailureError } from '../../errors.js';
import { FolderMailer, type Mailer, type SendReceipt } from '../../mail/mailer.js';
import type { Prompter } from '../../prompter.js';
import { runInit } from '../init/run.js';
import { runInvite } from '../invite/run.js';
import { runJoin } from '../join/run.js';
import { totpCode } from '../../crypto/totp.js';
import { runList } from '../list/run.js';

export interface SmokeStep {
  step: string;
  ok: boolean;
  ms: number;
  detail: string;
}

/** Sends through the configured mailer and keeps a copy as .eml, so the join step reads what was sent. */
class TeeMailer implements Mailer {
  readonly kind;
  readonly description;
  constructor(
    private readonly primary: Mailer,
    private readonly copy: FolderMailer,
  ) {
    this.kind = primary.kind;
    this.description = primary.description;
  }
  async send(email: RenderedEmail, stem: string): Promise<SendReceipt> {
    const receipt = await this.primary.send(email, stem);
    const copy = this.primary.kind === 'folder' ? receipt : await this.copy.send(email, stem);
    return { response: receipt.response, filePath: copy.filePath };
  }
  verify() {
    return this.primary.verify();
  }
  close() {
    this.primary.close();
  }
}

const noPrompts: Prompter = {
  interactive: false,
  input: () => Promise.reject(new Error('no prompt in smoke')),
  password: () => Promise.reject(new Error('no prompt in smoke')),
  confirm: () => Promise.reject(new Error('no prompt in smoke')),
  checkbox: () => Promise.reject(new Error('no prompt in smoke')),
};

/**
 * The whole path in a throw-away store: init → invite → the email (configured SMTP, or the
 * outbox folder) → join with generated answers → list shows joined. For CI.
 */
export async function runSmoke(options: { to: string; keep?: boolean }, app: App): Promise<{ steps: SmokeStep[]; folder: string }> {
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'cerby-guests-smoke-'));
  fs.chmodSync(folder, 0o700);
  const smoke = new App(app.f.derive({ prompter: noPrompts }, { db: path.join(folder, 'smoke.db'), as: 'owner@smoke.example', json: false }));
  const steps: SmokeStep[] = [];
  const step = async <T>(name: string, fn: () => Promise<T> | T, describe: (value: T) => string): Promise<T> => {
    const started = performance.now();
    try {
      const value = await fn();
      steps.push({ step: name, ok: true, ms: Math.round(performance.now() - started), detail: describe(value) });
      return value;
    } catch (error) {
      const detail = error instanceof CliError ? error.message : `unexpected: ${(error as Error).message}`;
      steps.push({ step: name, ok: false, ms: Math.round(performance.now() - started), detail });
      throw Object.assign(new FailureError(`smoke failed at "${name}": ${detail}`), { steps });
    }
  };
  try {
    await step('init', () => runInit({ workspace: 'Smoke Test', owner: 'owner@smoke.example' }, smoke), (r) => `workspace ${r.workspace} in ${r.db}`);
    // The configured SMTP server, or else an outbox folder beside the throw-away store.
    smoke.useMailer(new TeeMailer(smoke.mailer(), new FolderMailer(path.join(folder, 'sent'))));
    const invite = await step(
      'invite',
      () => runInvite({ emails: [options.to] }, smoke),
      (r) => `${r.results[0]?.email}: ${r.results[0]?.outcome}`,
    );
    const sent = invite.results[0]!;
    await step(
      'email',
      () => {
        if (sent.delivery !== 'sent' || !sent.file) throw new FailureError(`not delivered (${sent.delivery ?? 'no delivery'}): ${sent.reason ?? ''}`);
        return sent.file;
      },
      () => `${smoke.mailer().description}: delivered`,
    );
    const password = randomBytes(18).toString('base64url'); // 24 random characters
    const joined = await step(
      'join',
      async () => (await runJoin({ emailFile: sent.file, newPassword: password, name: 'Smoke', familyName: 'Test', acceptTos: true, waitSeconds: 5 }, smoke.f)).data,
      (r) => r.steps.join(', '),
    );
    await step(
      'setup',
      async () =>
        (
          await runJoin(
          {
            username: joined.email,
            password,
            totpCode: totpCode(joined.mfa!.secret, smoke.now().getTime()),
            apps: 'mobile,extension',
            device: 'smoke test',
            waitSeconds: 5,
          },
          smoke.f,
        )
        ).data,
      (r) => (r.setup.complete ? 'MFA, apps, trusted device' : 'incomplete'),
    );
    await step(
      'list shows joined',
      () => {
        const row = [...runList({}, smoke)].find((r) => r.email.toLowerCase() === options.to.toLowerCase());
        if (row?.status !== 'joined') throw new FailureError(`status is ${row?.status ?? 'missing'}`);
        return row;
      },
      (r) => `${r.email}: ${r.status}`,
    );
  } finally {
    smoke.close();
    if (!options.keep) fs.rmSync(folder, { recursive: true, force: true });
  }
  return { steps, folder };
}
