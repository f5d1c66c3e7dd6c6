import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REAL_COSTS } from '../../crypto/costs.js';
import { totpCode } from '../../crypto/totp.js';
import type { RenderedEmail } from '../../email/render.js';
import { CliError, FailureError } from '../../errors.js';
import type { GuestListRow } from '../../store/types.js';
import type { Factory } from '../../factory.js';
import { joinFlow, type JoinReport } from '../../join/flow.js';
import type { InviteSource } from '../../join/invite.js';
import { FolderMailer, type Gate, type Mailer, type SendReceipt } from '../../mail/mailer.js';
import type { Prompter } from '../../prompter.js';
import type { Result } from '../../result.js';
import { openSession } from '../../session.js';
import { runInit } from '../init/run.js';
import { runInvite } from '../invite/run.js';
import { FlagsAndPromptsUI, type JoinAnswers } from '../../join/prompt-ui.js';
import { runList } from '../list/run.js';

export interface SmokeOptions {
  to: string;
  keep: boolean;
}

export interface SmokeStep {
  step: string;
  ok: boolean;
  ms: number;
  detail: string;
}

export interface SmokeReport {
  steps: SmokeStep[];
  /** The throw-away folder (removed unless kept). */
  folder: string;
  kept: boolean;
  /** Why the run stopped, when a step failed: the command fails with it. */
  failure?: string;
}

export type RunSmoke = (options: SmokeOptions, f: Factory) => Promise<Result<SmokeReport>>;

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
  async send(email: RenderedEmail, stem: string, gate?: Gate): Promise<SendReceipt> {
    const receipt = await this.primary.send(email, stem, gate);
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
  countdown: () => Promise.reject(new Error('no prompt in smoke')),
  pick: () => Promise.reject(new Error('no prompt in smoke')),
};

/** A step that failed: recorded in the steps, it ends the run. */
class StepFailed extends Error {}

/** The guest's side in the throw-away workspace, answered like a script gives `join` its flags. */
async function join(smoke: Factory, invite: InviteSource, answers: JoinAnswers): Promise<JoinReport> {
  const { store, workspace } = await openSession(smoke);
  return joinFlow(
    { store, workspace, now: smoke.now, costs: smoke.crypto ?? REAL_COSTS, hooks: smoke.hooks },
    { invite, waitSeconds: 5 },
    new FlagsAndPromptsUI(answers, smoke),
  );
}

/**
 * The whole path in a throw-away store: init → invite → the email (configured SMTP, or the
 * outbox folder) → join with generated answers → list shows joined. For CI. A failed step
 * ends the run: its status is `failed` and `failure` says where.
 */
export const runSmoke: RunSmoke = async (options, f) => {
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'cerby-guests-smoke-'));
  fs.chmodSync(folder, 0o700);
  const smoke = f.derive({ prompter: noPrompts }, { db: path.join(folder, 'smoke.db'), as: 'owner@smoke.example', json: false });
  const steps: SmokeStep[] = [];
  let failure: string | undefined;
  const step = async <T>(name: string, fn: () => Promise<T> | T, describe: (value: T) => string): Promise<T> => {
    const started = performance.now();
    try {
      const value = await fn();
      steps.push({ step: name, ok: true, ms: Math.round(performance.now() - started), detail: describe(value) });
      return value;
    } catch (error) {
      const detail = error instanceof CliError ? error.message : `unexpected: ${(error as Error).message}`;
      steps.push({ step: name, ok: false, ms: Math.round(performance.now() - started), detail });
      failure = `smoke failed at "${name}": ${detail}`;
      throw new StepFailed(failure);
    }
  };
  try {
    await step('init', async () => (await runInit({ workspace: 'Smoke Test', owner: 'owner@smoke.example' }, smoke)).data, (r) => `workspace ${r.workspace} in ${r.db}`);
    // The configured SMTP server, or else an outbox folder beside the throw-away store.
    smoke.useMailer(new TeeMailer(smoke.mailer(), new FolderMailer(path.join(folder, 'sent'))));
    const invite = await step(
      'invite',
      async () => (await runInvite({ emails: [options.to], dryRun: false }, smoke)).data,
      (r) => `${r.results[0]?.email}: ${r.results[0]?.outcome}`,
    );
    const file = await step(
      'email',
      () => {
        const sent = invite.results[0];
        if (sent?.delivery !== 'sent' || !sent.file) throw new FailureError(`not delivered (${sent?.delivery ?? 'no delivery'}): ${sent?.reason ?? ''}`);
        return sent.file;
      },
      () => `${smoke.mailer().description}: delivered`,
    );
    const password = randomBytes(18).toString('base64url'); // 24 random characters
    const joined = await step(
      'join',
      // The README's CI recipe: everything up front in the first call, the apps and device kept until MFA is on.
      () => join(smoke, { emailFile: file }, { newPassword: password, name: 'Smoke', familyName: 'Test', acceptTos: true, apps: 'mobile,extension', device: 'smoke test' }),
      (r) => r.steps.join(', '),
    );
    await step(
      'setup',
      () => {
        if (!joined.mfa) throw new FailureError('the join showed no MFA secret');
        const code = totpCode(joined.mfa.secret, smoke.now().getTime());
        return join(smoke, {}, { username: joined.email, password, totpCode: code });
      },
      (r) => (r.setup?.complete ? 'MFA, apps, trusted device' : 'incomplete'),
    );
    await step(
      'list shows joined',
      async () => {
        let row: GuestListRow | undefined;
        for await (const batch of (await runList({}, smoke)).data) row ??= batch.find((r) => r.email.toLowerCase() === options.to.toLowerCase());
        if (row?.status !== 'joined') throw new FailureError(`status is ${row?.status ?? 'missing'}`);
        return row;
      },
      (r) => `${r.email}: ${r.status}`,
    );
  } catch (error) {
    if (!(error instanceof StepFailed)) throw error;
  } finally {
    await smoke.close();
    if (!options.keep) fs.rmSync(folder, { recursive: true, force: true });
  }
  return { status: failure ? 'failed' : 'ok', data: { steps, folder, kept: options.keep, failure } };
};
