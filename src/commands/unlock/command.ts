import { Command } from 'commander';
import { iso } from '../../time.js';
import { emailKey } from '../../validate.js';
import { managedGuest } from '../managed-guest.js';
import type { AppFactory } from '../types.js';

/** Lifts a sign-in lock. For a pending invite `resend` does it too; a joined guest has only this. */
export function unlockCommand(makeApp: AppFactory): Command {
  return new Command('unlock')
    .description('lift the lock that 5 failed sign-ins put on a guest')
    .argument('<email>')
    .addHelpText('after', '\nExample:\n  $ cerby-guests unlock ada@partner.example')
    .action((emailArg: string, _opts, command: Command) => {
      const app = makeApp(command);
      const { guest, actor } = managedGuest(app, emailArg, 'unlock');
      const store = app.store();
      const at = iso(app.now());
      const unlocked = store.write(() => {
        const unlocked = store.credentials.unlock(guest.id);
        if (unlocked) store.audit.record({ at, actor: actor.email, action: 'unlock', target: emailKey(guest.email), detail: null });
        return unlocked;
      });
      if (app.json) app.io.stdout.write(`${JSON.stringify({ email: guest.email, unlocked })}\n`);
      if (unlocked) app.success(`Unlocked ${guest.email}: they can sign in again`);
      else app.info(`${guest.email} was not locked`);
    });
}
