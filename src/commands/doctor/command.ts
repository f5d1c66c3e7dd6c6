import { Command } from 'commander';
import type { AppFactory } from '../types.js';
import { runDoctor } from './run.js';

export function doctorCommand(makeApp: AppFactory): Command {
  return new Command('doctor')
    .description('check the store (opens, schema, integrity, file modes) and SMTP (connect, TLS, auth); exit 0 only if all pass')
    .addHelpText('after', '\nExample:\n  $ cerby-guests doctor --smtp smtps://mailer@smtp.acme.example:465 --smtp-password-file ~/.smtp-pass')
    .action(async (_opts, command: Command) => {
      const app = makeApp(command);
      const checks = await runDoctor(app);
      if (app.json) app.io.stdout.write(`${JSON.stringify(checks, null, 2)}\n`);
      else {
        for (const c of checks) {
          app.io.stdout.write(`${c.ok ? app.color.green('✓') : app.color.red('✗')} ${c.check}: ${c.detail}\n`);
        }
      }
      app.exitCode = checks.every((c) => c.ok) ? 0 : 1;
    });
}
