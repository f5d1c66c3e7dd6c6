import { Command } from '@commander-js/extra-typings';
import type { Factory } from '../../factory.js';
import { present } from '../../output/present.js';
import { runDoctor } from './run.js';

export function newCmdDoctor(f: Factory, runF = runDoctor) {
  return new Command('doctor')
    .description('check the store (opens, schema, integrity, file modes) and SMTP (connect, TLS, auth, sender); exit 0 only if all pass')
    .option('--to <address>', 'the recipient to check the server takes (RCPT TO, then RSET: nothing is sent); default: the workspace owner')
    .addHelpText(
      'after',
      `
Nothing is ever sent: the sender check is MAIL FROM the workspace sender (and RCPT TO with --to), then RSET.

Examples:
  $ cerby-guests doctor --smtp smtps://mailer@smtp.acme.example:465 --smtp-password-file ~/.smtp-pass
  $ cerby-guests doctor --to someone@partner.example`,
    )
    .action(async (options) =>
      await present(f, await runF(options, f), {
        print: (checks, out) => {
          for (const c of checks) out.check(c.ok, `${c.check}: ${c.detail}`);
        },
      }),
    );
}
