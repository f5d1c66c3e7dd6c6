import type { App } from '../../app.js';
import { UsageError } from '../../errors.js';
import { newHmacKey, newInstanceId } from '../../crypto/temp-password.js';
import { iso } from '../../time.js';
import { emailInput, emailKey, formatDuration, nameProblem, parseDuration, requireEmail } from '../../validate.js';

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

const DOMAIN = /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;

export function validateDomain(text: string): string {
  const domain = text.trim().toLowerCase();
  if (!DOMAIN.test(domain)) throw new UsageError(`invalid domain ${JSON.stringify(text.slice(0, 80))}: expected e.g. acme.example`);
  return domain;
}

export const DEFAULT_SIGN_IN_URL = 'https://app.cerby.com';
const DEFAULT_TTL = '7d';
/** An invite lives at least a minute and at most a year. */
const INVITE_TTL_BOUNDS = { min: 60, max: 365 * 86_400 };

export function validateWorkspaceName(name: string): string {
  const trimmed = name.trim();
  if (!trimmed) throw new UsageError('invalid --workspace: the name is empty');
  const problem = nameProblem(trimmed, 'workspace name');
  if (problem) throw new UsageError(`invalid --workspace: ${problem}`);
  return trimmed;
}

export function validateSignInUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`invalid --sign-in-url ${JSON.stringify(text.slice(0, 80))}: not a URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new UsageError('invalid --sign-in-url: it must start with https://');
  }
  if (url.username || url.password) throw new UsageError('invalid --sign-in-url: it must not contain a user or password');
  return url.toString().replace(/\/$/, '');
}

/** Creates the store, the workspace and its first owner. Refuses to run twice on one store. */
export function runInit(options: InitOptions, app: App): InitResult {
  const workspace = validateWorkspaceName(options.workspace);
  const owner = requireEmail(emailInput(options.owner), '--owner address');
  const signInUrl = validateSignInUrl(options.signInUrl ?? DEFAULT_SIGN_IN_URL);
  const sender = requireEmail(emailInput(options.from ?? `no-reply@${owner.slice(owner.lastIndexOf('@') + 1)}`), '--from address');
  const ttlSeconds = parseDuration(options.inviteTtl ?? DEFAULT_TTL, '--invite-ttl', INVITE_TTL_BOUNDS);
  const domains = [...new Set((options.domains?.length ? options.domains : [owner.slice(owner.lastIndexOf('@') + 1)]).map(validateDomain))];

  const store = app.createStore();
  const existing = store.workspace.get();
  if (existing) {
    throw new UsageError(`${app.dbPath} already holds the workspace ${JSON.stringify(existing.name)}; nothing was changed`);
  }
  const at = iso(app.now());
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
  return { workspace, owner, signInUrl, sender, inviteTtl: formatDuration(ttlSeconds), domains, db: app.dbPath };
}
