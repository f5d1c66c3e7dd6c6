import { UsageError } from '../../errors.js';
import type { Factory } from '../../factory.js';
import { authorize } from '../../permissions.js';
import { ok, type Result } from '../../result.js';
import { openSession } from '../../session.js';
import { iso } from '../../time.js';
import { validateDomain } from '../../workspace/settings.js';

export function runDomainsList(_opts: object, f: Factory): Result<string[]> {
  const { store, actor } = openSession(f);
  authorize(actor, { action: 'members.list' });
  return ok(store.workspace.domains());
}

export function runDomainsAdd(opts: { domain: string }, f: Factory): Result<{ domain: string; added: boolean }> {
  const domain = validateDomain(opts.domain);
  const { store, actor } = openSession(f);
  authorize(actor, { action: 'workspace.domains' });
  const at = iso(f.now());
  const added = store.write(() => {
    const added = store.workspace.addDomain(domain);
    if (added) store.audit.record({ at, actor: actor.email, action: 'domain.add', target: `domain:${domain}`, detail: null });
    return added;
  });
  return ok({ domain, added });
}

export interface PolicyOptions {
  passwordMinLength?: number;
  mfaRequired?: 'yes' | 'no';
}

/** Shows the guests' password policy, or changes it (an admin's right). */
export function runPolicy(opts: PolicyOptions, f: Factory): Result<{ minLength: number; mfaRequired: boolean }> {
  const { store, actor } = openSession(f);
  const current = store.workspace.passwordPolicy();
  if (opts.passwordMinLength !== undefined || opts.mfaRequired !== undefined) {
    authorize(actor, { action: 'workspace.domains' });
    const minLength = opts.passwordMinLength ?? current.minLength;
    const mfaRequired = opts.mfaRequired === undefined ? current.mfaRequired : opts.mfaRequired === 'yes';
    if (!Number.isInteger(minLength) || minLength < 8 || minLength > 64) throw new UsageError('--password-min-length must be a whole number from 8 to 64');
    if (minLength < 15 && !mfaRequired) throw new UsageError('a minimum below 15 characters needs MFA required (NIST SP 800-63B rev. 4)');
    const at = iso(f.now());
    store.write(() => {
      store.workspace.setPasswordPolicy(minLength, mfaRequired);
      store.audit.record({ at, actor: actor.email, action: 'policy', target: 'workspace', detail: { minLength, mfaRequired } });
    });
  } else {
    authorize(actor, { action: 'members.list' });
  }
  return ok(store.workspace.passwordPolicy());
}
