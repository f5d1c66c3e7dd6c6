import { UsageError } from '../../errors.js';
import type { Factory } from '../../factory.js';
import { authorize } from '../../permissions.js';
import { ok, type Result } from '../../result.js';
import { openSession } from '../../session.js';
import { iso } from '../../time.js';
import { validateDomain } from '../../workspace/settings.js';

export async function runDomainsList(_opts: object, f: Factory): Promise<Result<string[]>> {
  const { store, actor } = await openSession(f);
  authorize(actor, { action: 'members.list' });
  return ok(await store.workspace.domains());
}

export async function runDomainsAdd(opts: { domain: string }, f: Factory): Promise<Result<{ domain: string; added: boolean }>> {
  const domain = validateDomain(opts.domain);
  const { store, actor } = await openSession(f);
  authorize(actor, { action: 'workspace.domains' });
  const at = iso(f.now());
  const added = await store.write(async (tx) => {
    const added = await tx.workspace.addDomain(domain);
    if (added) await tx.audit.record({ at, actor: actor.email, action: 'domain.add', target: `domain:${domain}`, detail: null });
    return added;
  });
  return ok({ domain, added });
}

export interface PolicyOptions {
  passwordMinLength?: number;
  mfaRequired?: 'yes' | 'no';
}

/** Shows the guests' password policy, or changes it (an admin's right). */
export async function runPolicy(opts: PolicyOptions, f: Factory): Promise<Result<{ minLength: number; mfaRequired: boolean }>> {
  const { store, actor } = await openSession(f);
  const current = await store.workspace.passwordPolicy();
  if (opts.passwordMinLength !== undefined || opts.mfaRequired !== undefined) {
    authorize(actor, { action: 'workspace.domains' });
    const minLength = opts.passwordMinLength ?? current.minLength;
    const mfaRequired = opts.mfaRequired === undefined ? current.mfaRequired : opts.mfaRequired === 'yes';
    if (!Number.isInteger(minLength) || minLength < 8 || minLength > 64) throw new UsageError('--password-min-length must be a whole number from 8 to 64');
    if (minLength < 15 && !mfaRequired) throw new UsageError('a minimum below 15 characters needs MFA required (NIST SP 800-63B rev. 4)');
    const at = iso(f.now());
    await store.write(async (tx) => {
      await tx.workspace.setPasswordPolicy(minLength, mfaRequired);
      await tx.audit.record({ at, actor: actor.email, action: 'policy', target: 'workspace', detail: { minLength, mfaRequired } });
    });
  } else {
    authorize(actor, { action: 'members.list' });
  }
  return ok(await store.workspace.passwordPolicy());
}
