import fs from 'node:fs';
import { readSecretInput } from '../../cli/secret-input.js';
import { REAL_COSTS } from '../../crypto/costs.js';
import { CancelledError, CliError, Interrupted, NotPermittedError, UsageError } from '../../errors.js';
import type { Factory } from '../../factory.js';
import { joinFlow, type JoinProgress, type JoinReport } from '../../join/flow.js';
import type { Result, Status } from '../../result.js';
import { openSession } from '../../session.js';
import { FlagsAndPromptsUI, parseApps, type JoinAnswers } from '../../join/prompt-ui.js';
import { emailKey } from '../../validate.js';

export type { JoinReport };

export interface JoinOptions extends JoinAnswers {
  emailFile?: string;
  link?: string;
  passwordFile?: string;
  newPasswordFile?: string;
  tempPasswordFile?: string;
  waitSeconds: number;
}

export type RunJoin = (options: JoinOptions, f: Factory) => Promise<Result<JoinReport>>;

/** The three passwords: each from its flag (argv, with a warning) or its file (`-`: standard input). */
const SECRETS = [
  { key: 'password', file: 'passwordFile', flag: '--password' },
  { key: 'newPassword', file: 'newPasswordFile', flag: '--new-password' },
  { key: 'tempPassword', file: 'tempPasswordFile', flag: '--temp-password' },
] as const;

/**
 * `join`: the guest's side (src/join/flow.ts), answered from the flags and, on a terminal,
 * with prompts. Every call reports what it did: a refusal on the way is a report too (`ok`
 * false, the steps done before it, the error), with the status of its error (SPEC §9).
 */
export const runJoin: RunJoin = async (options, f) => {
  const answers = await checkOptions(options, f);
  const { store, workspace } = await openSession(f);
  const progress: JoinProgress = { steps: [], saved: false };
  try {
    const report = await joinFlow(
      { store, workspace, now: f.now, costs: f.crypto ?? REAL_COSTS, hooks: f.hooks },
      { invite: { emailFile: options.emailFile, link: options.link }, waitSeconds: options.waitSeconds },
      new FlagsAndPromptsUI(answers, f),
      progress,
    );
    return { status: 'ok', data: report };
  } catch (error) {
    // Ctrl-C and signals keep their own exit codes.
    if (!(error instanceof CliError) || error instanceof CancelledError || error instanceof Interrupted) throw error;
    const guest = progress.signedIn && progress.email ? await store.guests.find(emailKey(progress.email)) : undefined;
    const report: JoinReport = {
      ok: false,
      email: progress.email,
      workspace: workspace.name,
      status: guest ? (guest.status === 'joined' ? 'joined' : 'pending') : undefined,
      steps: progress.steps,
      saved: progress.saved,
      setup: guest ? await store.credentials.setupReport(guest.id) : undefined,
      mfa: progress.mfa,
      error: error.message,
    };
    return { status: statusOf(error), data: report };
  }
};

function statusOf(error: CliError): Status {
  if (error instanceof UsageError) return 'usage';
  if (error instanceof NotPermittedError) return 'denied';
  return 'failed';
}

/** Refuses contradictions before anything is read or changed, and reads the password files. */
async function checkOptions(options: JoinOptions, f: Factory): Promise<JoinAnswers> {
  const sources = [options.emailFile, options.link].filter((s) => s !== undefined).length;
  if (sources > 1) throw new UsageError('give one of --email-file or --link');
  if (options.acceptTos && options.declineTos) throw new UsageError('give --accept-tos or --decline-tos, not both');
  if (options.apps !== undefined) parseApps(options.apps);
  if (options.qrFile !== undefined && fs.existsSync(options.qrFile)) {
    throw new UsageError(`--qr-file ${options.qrFile} exists already: give a new file name (it will hold your MFA secret)`);
  }
  const fromStdin = SECRETS.filter((s) => options[s.file] === '-');
  if (fromStdin.length > 1) throw new UsageError(`only one of ${fromStdin.map((s) => `${s.flag}-file`).join(', ')} can read standard input (-)`);
  const answers: JoinAnswers = { ...options };
  const onArgv: string[] = [];
  for (const secret of SECRETS) {
    const file = options[secret.file];
    if (file !== undefined && options[secret.key] !== undefined) throw new UsageError(`give ${secret.flag} or ${secret.flag}-file, not both`);
    if (file !== undefined) answers[secret.key] = await readSecretInput(file, `${secret.flag}-file`, f.io.stdin);
    else if (options[secret.key] !== undefined) onArgv.push(secret.flag);
  }
  if (onArgv.length) {
    f.reporter.warn(
      `${onArgv.join(' and ')} on the command line ${onArgv.length > 1 ? 'are' : 'is'} visible to other users of this machine (ps) and in shell history: use ${onArgv.map((flag) => `${flag}-file FILE`).join(', ')} (- reads standard input)`,
    );
  }
  return answers;
}
