import { newHmacKey, newInstanceId } from '../../crypto/temp-password.js';
import { UsageError } from '../../errors.js';
import type { Factory } from '../../factory.js';
import { ok, type Result } from '../../result.js';
import { iso } from '../../time.js';
import { emailInput, emailKey, formatDuration, parseDuration, requireEmail } from '../../validate.js';
import { DEFAULT_SIGN_IN_URL, DEFAULT_TTL, INVITE_TTL_BOUNDS, validateDomain, validateSignInUrl, validateWorkspaceName } from '../../workspace/settings.js';

export interface InitOptions {
  workspace: string;
  owner: string;
  signInUrl?: string;
  from?: string;
  inviteTtl?: string;
  /** The workspace's own email domains; addresses elsewhere are external (guest candidates). */
  domains?: string[];
}

export interface InitResult {
  workspace: string;
  owner: string;
  signInUrl: string;
  sender: string;
  inviteTtl: string;
  domains: string[];
  db: string;
}

/** Creates the store, the workspace and its first owner. Refuses to run twice on one store. */
export async function runInit(options: InitOptions, f: Factory): Promise<Result<InitResult>> {
  const workspace = validateWorkspaceName(options.workspace);
  const owner = requireEmail(emailInput(options.owner), '--owner address');
  const signInUrl = validateSignInUrl(options.signInUrl ?? DEFAULT_SIGN_IN_URL);
  const sender = requireEmail(emailInput(options.from ?? `no-reply@${owner.slice(owner.lastIndexOf('@') + 1)}`), '--from address');
  const ttlSeconds = parseDuration(options.inviteTtl ?? DEFAULT_TTL, '--invite-ttl', INVITE_TTL_BOUNDS);
  const domains = [...new Set((options.domains?.length ? options.domains : [owner.slice(owner.lastIndexOf('@') + 1)]).map(validateDomain))];

  const store = await f.createStore();
  const at = iso(f.now());
  const already = (name: string) => new UsageError(`${f.storeDescription} already holds the workspace ${JSON.stringify(name)}; nothing was changed`);
  await store.write(async (tx) => {
    const existing = await tx.workspace.get();
    if (existing) throw already(existing.name);
    await tx.workspace.create({
      name: workspace,
      signInUrl,
      sender,
      inviteTtlSeconds: ttlSeconds,
      hmacKey: newHmacKey(),
      instanceId: newInstanceId(),
      createdAt: at,
    });
    await tx.members.add(owner, emailKey(owner), 'owner', null, at);
    for (const domain of domains) await tx.workspace.addDomain(domain);
    await tx.audit.record({ at, actor: owner, action: 'init', target: emailKey(owner), detail: { workspace } });
  }).catch(async (error: unknown) => {
    // Two `init`s on one PostgreSQL database at once: the second finds the first's row on insert.
    const winner = (error as { code?: string }).code === '23505' ? await store.workspace.get() : undefined;
    throw winner ? already(winner.name) : error;
  });
  return ok({ workspace, owner, signInUrl, sender, inviteTtl: formatDuration(ttlSeconds), domains, db: f.storeDescription });
}
