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
export function runInit(options: InitOptions, f: Factory): Result<InitResult> {
  const workspace = validateWorkspaceName(options.workspace);
  const owner = requireEmail(emailInput(options.owner), '--owner address');
  const signInUrl = validateSignInUrl(options.signInUrl ?? DEFAULT_SIGN_IN_URL);
  const sender = requireEmail(emailInput(options.from ?? `no-reply@${owner.slice(owner.lastIndexOf('@') + 1)}`), '--from address');
  const ttlSeconds = parseDuration(options.inviteTtl ?? DEFAULT_TTL, '--invite-ttl', INVITE_TTL_BOUNDS);
  const domains = [...new Set((options.domains?.length ? options.domains : [owner.slice(owner.lastIndexOf('@') + 1)]).map(validateDomain))];

  const store = f.createStore();
  const existing = store.workspace.get();
  if (existing) {
    throw new UsageError(`${f.dbPath} already holds the workspace ${JSON.stringify(existing.name)}; nothing was changed`);
  }
  const at = iso(f.now());
  store.write(() => {
    store.workspace.create({
      name: workspace,
      signInUrl,
      sender,
      inviteTtlSeconds: ttlSeconds,
      hmacKey: newHmacKey(),
      instanceId: newInstanceId(),
      createdAt: at,
    });
    store.members.add(owner, emailKey(owner), 'owner', null, at);
    for (const domain of domains) store.workspace.addDomain(domain);
    store.audit.record({ at, actor: owner, action: 'init', target: emailKey(owner), detail: { workspace } });
  });
  return ok({ workspace, owner, signInUrl, sender, inviteTtl: formatDuration(ttlSeconds), domains, db: f.dbPath });
}
