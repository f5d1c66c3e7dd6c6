import { UsageError } from '../errors.js';
import { nameProblem } from '../validate.js';

/** The workspace's settings as given on the command line (init, workspace domains). */

const DOMAIN = /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;

export function validateDomain(text: string): string {
  const domain = text.trim().toLowerCase();
  if (!DOMAIN.test(domain)) throw new UsageError(`invalid domain ${JSON.stringify(text.slice(0, 80))}: expected e.g. acme.example`);
  return domain;
}

/** Obviously local (RFC 6761 reserves .localhost): a workspace made without --sign-in-url links nowhere real. */
export const DEFAULT_SIGN_IN_URL = 'https://cerby.localhost';
export const DEFAULT_TTL = '7d';
/** An invite lives at least a minute and at most a year. */
export const INVITE_TTL_BOUNDS = { min: 60, max: 365 * 86_400 };

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
