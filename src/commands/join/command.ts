import { Command } from '@commander-js/extra-typings';
import { positiveUpTo } from '../../cli/args.js';
import type { Factory } from '../../factory.js';
import { present, type View } from '../../output/present.js';
import type { JoinReport, RunJoin } from './run.js';

/** mailparser and otpauth load only for join. */
const loadAndRunJoin: RunJoin = async (options, f) => (await import('./run.js')).runJoin(options, f);

/**
 * ✓ a line per step done, then what is next or the web app's success box; a call that stopped
 * says why (✗) and whether what it did before is saved. --json prints the report either way.
 */
export const joinView: View<JoinReport> = {
  report(report, reporter) {
    for (const step of report.steps) reporter.success(step.charAt(0).toUpperCase() + step.slice(1));
    if (!report.ok) {
      reporter.failed(report.error ?? 'stopped');
      if (report.saved) reporter.info('The steps above are saved: the next join goes on from there.');
      return;
    }
    if (report.next) reporter.info(`Next: ${report.next}`);
    else if (report.setup?.complete) reporter.success(`${report.email} has joined ${report.workspace} and finished setting up`);
  },
};

export function newCmdJoin(f: Factory, runF: RunJoin = loadAndRunJoin) {
  return new Command('join')
    .description("simulate the guest's side: from the invite email to a set-up account (interactive, or scripted with flags)")
    .option('--email-file <file>', 'the invite email (.eml): workspace, username and temporary password are read from it')
    .option('--link <url>', 'the "Join as a guest" link')
    .option('--username <email>', 'your username: the address the invite was sent to (when you have neither the email nor its link)')
    .option('--temp-password-file <file>', 'read the temporary password from this file (- for standard input)')
    .option('--password-file <file>', 'read your own password (to continue after the password step) from this file (- for standard input)')
    .option('--new-password-file <file>', 'read the new password from this file (- for standard input)')
    .option('--temp-password <password>', 'the temporary password (visible to other users in ps: prefer --temp-password-file)')
    .option('--password <password>', 'your own password (visible in ps: prefer --password-file; on a terminal leave it out to be asked)')
    .option('--new-password <password>', 'the new password (visible in ps: prefer --new-password-file)')
    .option('--name <name>', 'your name, for the Change Password page')
    .option('--family-name <name>', 'your family name, for the Change Password page')
    .option('--accept-tos', "accept Cerby's Terms of Service")
    .option('--decline-tos', 'decline them (stops here; the next join continues from this step)')
    .option('--totp-code <code>', 'a code from your authenticator app: turns MFA on, and once it is on signs in')
    .option('--apps <list>', 'approved client apps you installed: mobile, extension (comma-separated) or none')
    .option('--device <name>', 'name of this device, for its trusted session')
    .option('--qr-file <file>', 'also write the MFA QR code to this new PNG file')
    .option('--wait-seconds <n>', 'how long the authentication waiting page waits before redirecting', positiveUpTo('--wait-seconds', 600), 5)
    .addHelpText(
      'after',
      `
Before MFA is on, --apps and --device are kept for the call that turns it on. Once it is on,
every join needs --totp-code (or asks for the code) before anything else.

Examples:
  $ cerby-guests join --email-file cerby-guests.outbox/000001-guest@partner.example.eml
  $ cerby-guests join --email-file invite.eml --new-password-file pw.txt --name Ada --family-name Lovelace \\
      --accept-tos --apps mobile,extension --device "CI runner" --json
  $ cerby-guests join --username guest@partner.example --password-file pw.txt --totp-code 123456`,
    )
    .action(async (flags) => {
      await present(f, await runF(flags, f), joinView);
    });
}
