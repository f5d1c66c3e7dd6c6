import { REAL_COSTS } from '../../crypto/costs.js';
import { UsageError } from '../../errors.js';
import type { Factory } from '../../factory.js';
import { joinFlow, type JoinReport } from '../../join/flow.js';
import { ok, type Result } from '../../result.js';
import { openSession } from '../../session.js';
import { FlagsAndPromptsUI, type JoinAnswers } from '../../join/prompt-ui.js';

export type { JoinReport };

export interface JoinOptions extends JoinAnswers {
  emailFile?: string;
  link?: string;
  waitSeconds: number;
}

export type RunJoin = (options: JoinOptions, f: Factory) => Promise<Result<JoinReport>>;

/**
 * `join`: the guest's side (src/join/flow.ts), answered from the flags and, on a terminal,
 * with prompts. A refusal on the way is thrown (exit 1, or 2 for bad usage).
 */
export const runJoin: RunJoin = async (options, f) => {
  const sources = [options.emailFile, options.link].filter((s) => s !== undefined).length;
  if (sources > 1) throw new UsageError('give one of --email-file or --link');
  if (options.acceptTos && options.declineTos) throw new UsageError('give --accept-tos or --decline-tos, not both');
  const { store, workspace } = openSession(f);
  const report = await joinFlow(
    { store, workspace, now: f.now, costs: f.crypto ?? REAL_COSTS, hooks: f.hooks },
    { invite: { emailFile: options.emailFile, link: options.link }, waitSeconds: options.waitSeconds },
    new FlagsAndPromptsUI(options, f),
  );
  return ok(report);
};
