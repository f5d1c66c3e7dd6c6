import { Command } from 'commander';
import { reportResults } from '../../invites/outcome.js';
import type { AppFactory } from '../types.js';
import { runRevoke } from './run.js';

export function revokeCommand(makeApp: AppFactory): Command {
  return new Command('revoke')
    .description('cancel pending invites: their temporary passwords stop working at once')
    .argument('<emails...>', 'guests whose invite to cancel')
    .option('--dry-run', 'report what would be revoked; change nothing')
    .addHelpText('after', '\nExample:\n  $ cerby-guests revoke guest@partner.example')
    .action((emails: string[], opts, command: Command) => {
      const app = makeApp(command);
      app.exitCode = reportResults(app, runRevoke({ ...opts, emails }, app));
    });
}
