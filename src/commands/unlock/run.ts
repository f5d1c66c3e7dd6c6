import type { Factory } from '../../factory.js';
import { managedGuest } from '../../guests/managed.js';
import { ok, type Result } from '../../result.js';
import { iso } from '../../time.js';
import { emailKey } from '../../validate.js';

/** Lifts a sign-in lock. For a pending invite `resend` does it too; a joined guest has only this. */
export async function runUnlock(opts: { email: string }, f: Factory): Promise<Result<{ email: string; unlocked: boolean }>> {
  const { store, guest, actor } = await managedGuest(f, opts.email, 'unlock');
  const at = iso(f.now());
  const unlocked = await store.write(async (tx) => {
    const unlocked = await tx.credentials.unlock(guest.id);
    if (unlocked) await tx.audit.record({ at, actor: actor.email, action: 'unlock', target: emailKey(guest.email), detail: null });
    return unlocked;
  });
  return ok({ email: guest.email, unlocked });
}
