import { Command } from '@commander-js/extra-typings';
import { positiveUpTo } from '../../cli/args.js';
import type { Factory } from '../../factory.js';
import { present, type View } from '../../output/present.js';
import type { JoinReport, RunJoin } from './run.js';

/** mailparser and otpauth load only for join. */
const loadAndRunJoin: RunJoin = async (options, f) => (await import('./run.js')).runJoin(options, f);

/** ✓ a line per step done, then what is next or the web app's success box; --json prints the report. */
export const joinView: View<JoinReport> = {
  report(report, reporter) {
    for (const step of report.steps) reporter.success(step.charAt(0).toUpperCase() + step.slice(1));
    if (report.next) reporter.info(`Next: ${report.next}`);
    else if (report.setup.complete) reporter.success(`${report.email} has joined ${report.workspace} and finished setting up`);
  },
};

export function newCmdJoin(f: Factory, runF: RunJoin = loadAndRunJoin) {
  return new Command('join')
    .description("simulate the guest's side: from the invite email to a set-up account (interactive, or scripted with flags)")
    .option('--email-file <file>', 'the invite email (.eml): workspace, username and temporary password are read from it')
    .option('--link <url>', 'the "Join as a guest" link')
    .option('--username <email>')
    .option('--temp-password <password>')
    .option('--password <password>', 'your own password, to continue after the password step')
    .option('--new-password <password>')
    .option('--name <name>')
    .option('--family-name <name>')
    .option('--accept-tos', "accept Cerby's Terms of Service")
    .option('--decline-tos', 'decline them (stops here; the next join continues from this step)')
    .option('--totp-code <code>', 'a code from your authenticator app, to turn on MFA')
    .option('--apps <list>', 'approved client apps you installed: mobile, extension (comma-separated) or none')
    .option('--device <name>', 'name of this device, for its trusted session')
    .option('--wait-seconds <n>', 'how long the authentication waiting page waits before redirecting', positiveUpTo('--wait-seconds', 600), 5)
    .addHelpText(
      'after',
      `
Examples:
  $ cerby-guests join --email-file cerby-guests.outbox/guest@partner.example-1.eml
  $ cerby-guests join --email-file invite.eml --new-password "$PW" --name Ada --family-name Lovelace --accept-tos --json
  $ cerby-guests join --username guest@partner.example --password "$PW" --totp-code 123456 --apps mobile,extension --device "CI runner"`,
    )
    .action(async (flags) => {
      present(f, await runF(flags, f), joinView);
    });
}
