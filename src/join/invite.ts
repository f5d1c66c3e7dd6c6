import fs from 'node:fs';
import { simpleParser } from 'mailparser';
import { UsageError } from '../errors.js';

/** Step 1 of the join: what the guest opens. */
export interface OpenedInvite {
  workspaceName?: string;
  username?: string;
  tempPassword?: string;
  link?: string;
}

/** Step 1 from a saved email: parsed as MIME (mailparser), the account details read from its text part. */
export async function openInviteEmail(file: string): Promise<OpenedInvite> {
  let raw: Buffer;
  try {
    raw = fs.readFileSync(file);
  } catch {
    throw new UsageError(`cannot read the email file ${file}`);
  }
  if (raw.length > 5 * 1024 * 1024) throw new UsageError(`${file} is larger than 5 MB: not an invite email`);
  let mail: Awaited<ReturnType<typeof simpleParser>>;
  try {
    mail = await simpleParser(raw);
  } catch (error) {
    // mailparser's own limits (header size, MIME nesting): a hostile or broken file.
    throw new UsageError(`${file} is not an email cerby-guests can read (${(error as Error).message})`);
  }
  const fields = accountDetails(mail.text ?? '');
  const opened: OpenedInvite = {
    workspaceName: fields.get('Workspace name'),
    username: fields.get('Username'),
    tempPassword: fields.get('Temporary password'),
    link: fields.get('Join as a guest'),
  };
  if (!opened.username || !opened.tempPassword) {
    throw new UsageError(`${file} is not a cerby-guests invite email: no username and temporary password in it`);
  }
  return opened;
}

const LABELS = ['Workspace name', 'Username', 'Temporary password', 'Join as a guest'];

/**
 * The `Label: value` lines of the email's text, the first of each label. One pass over the
 * lines with string operations only: no regular expression that could backtrack, so a hostile
 * 5 MB email costs what reading it costs.
 */
export function accountDetails(text: string): Map<string, string> {
  const found = new Map<string, string>();
  let start = 0;
  while (start <= text.length && found.size < LABELS.length) {
    let end = text.indexOf('\n', start);
    if (end === -1) end = text.length;
    const line = text.slice(start, end).trim();
    start = end + 1;
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const label = line.slice(0, colon);
    if (!LABELS.includes(label) || found.has(label)) continue;
    const rest = line.slice(colon + 1);
    // "Label:" then at least one space or tab, then the value.
    if (rest[0] !== ' ' && rest[0] !== '\t') continue;
    const value = rest.trim();
    if (value) found.set(label, value);
  }
  return found;
}

/** Step 1 from the "Join as a guest" link: it names the username, never the password. */
export function openInviteLink(text: string): OpenedInvite {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError('invalid --link: not a URL');
  }
  const username = url.searchParams.get('username') ?? undefined;
  if (!username || !url.pathname.endsWith('/guest/join')) throw new UsageError('invalid --link: not a "Join as a guest" link');
  return { username, link: url.toString() };
}

/** Where the invite comes from: a saved email, the link in it, or neither (the guest types what it says). */
export interface InviteSource {
  emailFile?: string;
  link?: string;
}

/** Step 1: opens the invite the guest has, if any. */
export async function openInvite(source: InviteSource): Promise<OpenedInvite> {
  if (source.emailFile !== undefined && source.link !== undefined) throw new UsageError('give one of --email-file or --link');
  if (source.emailFile) return openInviteEmail(source.emailFile);
  if (source.link) return openInviteLink(source.link);
  return {};
}
