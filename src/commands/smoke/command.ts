import { Command } from '@commander-js/extra-typings';
import { FailureError } from '../../errors.js';
import type { Factory } from '../../factory.js';
import { present, type View } from '../../output/present.js';
import type { RunSmoke, SmokeReport } from './run.js';

/** The store, mail and join modules load only for smoke. */
const loadAndRunSmoke: RunSmoke = async (options, f) => (await import('./run.js')).runSmoke(options, f);

/** One timed line per step on stdout (✓ or ✗), --json the steps; where the kept folder is. */
export const smokeView: View<SmokeReport> = {
  json: (report) => report.steps,
  print(report, out) {
    for (const s of report.steps) out.check(s.ok, `${s.step} (${s.ms} ms): ${s.detail}`);
  },
  report(report, reporter) {
    if (report.kept && !report.failure) reporter.info(`kept ${report.folder}`);
  },
};

export function newCmdSmoke(f: Factory, runF: RunSmoke = loadAndRunSmoke) {
  return new Command('smoke')
    .description('CI check of the whole path in a throw-away store: init, invite, the email, join, list; exit 0 only if every step worked')
    .option('--to <email>', 'where the smoke invite goes (through the configured SMTP)', 'smoke@example.com')
    .option('--keep', 'keep the throw-away store and the email copies (the folder is printed)')
    .addHelpText('after', '\nExamples:\n  $ cerby-guests smoke\n  $ cerby-guests smoke --smtp smtp://127.0.0.1:1025 --to ci@acme.example')
    .action(async (flags) => {
      const result = await runF({ to: flags.to, keep: flags.keep === true }, f);
      await present(f, result, smokeView);
      // A failed step fails the whole command with one line, as every failure does.
      if (result.data.failure) throw new FailureError(result.data.failure);
    });
}
