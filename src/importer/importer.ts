import { UsageError } from '../errors.js';

/** Addresses outside the workspace's domains. */
export function guestCandidates(domains: string[], emails: { email: string; emailKey: string }[]): string[] {
  const own = new Set(domains);
  const seen = new Map<string, string>();
  for (const { email, emailKey } of emails) {
    const domain = emailKey.slice(emailKey.lastIndexOf('@') + 1);
    if (!own.has(domain) && !seen.has(emailKey)) seen.set(emailKey, email);
  }
  return [...seen.values()];
}

/** An import id on the command line (import show, invite --from-import). */
export function parseImportId(text: string): number {
  const id = Number(text);
  if (!Number.isInteger(id) || id < 1) throw new UsageError(`invalid import id ${JSON.stringify(text.slice(0, 20))}: a whole number, see \`cerby-guests import list\``);
  return id;
}
