import { Command } from 'commander';
import type { AppFactory } from '../types.js';

export function joinCommand(makeApp: AppFactory): Command {
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
    .option('--wait-seconds <n>', 'how long the authentication waiting page waits before redirecting', Number, 5)
    .addHelpText(
      'after',
      `
Examples:
  $ cerby-guests join --email-file cerby-guests.outbox/guest@partner.example-1.eml
  $ cerby-guests join --email-file invite.eml --new-password "$PW" --name Ada --family-name Lovelace --accept-tos --json
  $ cerby-guests join --username guest@partner.example --password "$PW" --totp-code 123456 --apps mobile,extension --device "CI runner"`,
    )
    .action(async (opts, command: Command) => {
      const app = makeApp(command);
      // mailparser and otpauth load only for join.
      const { runJoin } = await import('./run.js');
      const report = await runJoin(opts, app);
      if (app.json) app.io.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      for (const step of report.steps) app.success(step.charAt(0).toUpperCase() + step.slice(1));
      if (report.next) app.info(`Next: ${report.next}`);
      else if (report.setup.complete) app.success(`${report.email} has joined ${report.workspace} and finished setting up`);
    });
}
