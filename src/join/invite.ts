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
  const mail = await simpleParser(raw);
  const text = mail.text ?? '';
  const field = (label: string) => text.match(new RegExp(`^\\s*${label}:[ \\t]+(\\S.*?)\\s*$`, 'm'))?.[1];
  const opened: OpenedInvite = {
    workspaceName: field('Workspace name'),
    username: field('Username'),
    tempPassword: field('Temporary password'),
    link: field('Join as a guest'),
  };
  if (!opened.username || !opened.tempPassword) {
    throw new UsageError(`${file} is not a cerby-guests invite email: no username and temporary password in it`);
  }
  return opened;
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
