import { Command } from 'commander';
import { reportResults } from '../../invites/outcome.js';
import { valueOrPrompt } from '../../prompter.js';
import type { AppFactory } from '../types.js';
import { runInvite } from './run.js';

export function inviteCommand(makeApp: AppFactory): Command {
  return new Command('invite')
    .description('invite guests by email: each gets a temporary password and a "Join as a guest" link')
    .argument('[emails...]', 'addresses to invite')
    .option('--name <name>', "the guest's name (one address only)")
    .option('--family-name <name>', "the guest's family name (one address only)")
    .option('--message <text>', 'a custom message from you, included in the email')
    .option('--dry-run', 'validate and report what would happen; store and send nothing')
    .addHelpText(
      'after',
      `
Examples:
  $ cerby-guests invite guest@partner.example --message "Welcome aboard"
  $ cerby-guests invite a@partner.example b@partner.example --as admin@acme.example
  $ cerby-guests invite guest@partner.example --dry-run`,
    )
    .action(async (emails: string[], opts, command: Command) => {
      const app = makeApp(command);
      if (emails.length === 0) {
        emails = [await valueOrPrompt(app.prompter, undefined, 'EMAIL argument', (p) => p.input('Guest email'))];
      }
      const report = await runInvite({ ...opts, emails }, app);
      app.exitCode = reportResults(app, report);
    });
}
