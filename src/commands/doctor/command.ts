import { Command } from '@commander-js/extra-typings';
import type { Factory } from '../../factory.js';
import { present } from '../../output/present.js';
import { runDoctor } from './run.js';

export function newCmdDoctor(f: Factory, runF = runDoctor) {
  return new Command('doctor')
    .description('check the store (opens, schema, integrity, file modes) and SMTP (connect, TLS, auth); exit 0 only if all pass')
    .addHelpText('after', '\nExample:\n  $ cerby-guests doctor --smtp smtps://mailer@smtp.acme.example:465 --smtp-password-file ~/.smtp-pass')
    .action(async () =>
      present(f, await runF({}, f), {
        print: (checks, out) => {
          for (const c of checks) out.check(c.ok, `${c.check}: ${c.detail}`);
        },
      }),
    );
}
