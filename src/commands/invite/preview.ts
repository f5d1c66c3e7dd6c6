import fs from 'node:fs';
import path from 'node:path';
import { renderInviteEmail } from '../../email/render.js';
import { UsageError } from '../../errors.js';
import type { Factory } from '../../factory.js';
import { ok, type Result } from '../../result.js';
import { openSession } from '../../session.js';
import { addSeconds, iso } from '../../time.js';
import { messageProblem, nameProblem, requireEmail, emailInput } from '../../validate.js';

export interface InvitePreviewOptions {
  folder: string;
  /** At most one: the email is shown as this guest would get it. */
  emails: string[];
  name?: string;
  familyName?: string;
  message?: string;
}

export interface InvitePreview {
  html: string;
  text: string;
}

/** Shown where the temporary password goes: 24 characters, like a real one, and obviously not one. */
export const PREVIEW_PASSWORD = 'PREVIEW-NO-REAL-PASSWORD';
const PREVIEW_RECIPIENT = 'guest@example.com';

/**
 * The email `invite` would send, written as HTML and text files to open in a browser or an
 * editor: a placeholder password, nothing stored, nothing sent.
 */
export async function runInvitePreview(options: InvitePreviewOptions, f: Factory): Promise<Result<InvitePreview>> {
  if (options.emails.length > 1) throw new UsageError('--preview shows one email: give at most one address');
  const recipient = options.emails[0] === undefined ? PREVIEW_RECIPIENT : requireEmail(emailInput(options.emails[0]));
  for (const [flag, value] of [['--name', options.name], ['--family-name', options.familyName]] as const) {
    const problem = value === undefined ? undefined : nameProblem(value, flag.slice(2));
    if (problem) throw new UsageError(`invalid ${flag}: ${problem}`);
  }
  const problem = options.message === undefined ? undefined : messageProblem(options.message);
  if (problem) throw new UsageError(`invalid --message: ${problem}`);

  const { workspace, actor } = await openSession(f);
  const now = f.now();
  const email = renderInviteEmail({
    workspaceName: workspace.name,
    signInUrl: workspace.signInUrl,
    sender: workspace.sender,
    recipient,
    guestName: options.name ?? null,
    tempPassword: PREVIEW_PASSWORD,
    inviter: actor.email,
    customMessage: options.message ?? null,
    expiresAt: iso(addSeconds(now, workspace.inviteTtlSeconds)),
    now: iso(now),
    messageId: `<preview@${workspace.sender.split('@').pop() ?? 'localhost'}>`,
    inviteToken: 'preview',
  });

  const html = path.join(options.folder, 'invite-preview.html');
  const text = path.join(options.folder, 'invite-preview.txt');
  makeFolder(options.folder);
  writePrivate(html, email.html);
  writePrivate(text, email.text);
  return ok({ html, text });
}

/** A folder we make is 0700; an existing one is the user's (a symbolic link to it too). */
function makeFolder(folder: string): void {
  try {
    fs.mkdirSync(folder, { recursive: true, mode: 0o700 });
  } catch (error) {
    throw new UsageError(`cannot make the folder ${folder}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  if (!fs.statSync(folder).isDirectory()) throw new UsageError(`${folder} is not a folder`);
}

/** 0600, replacing an earlier preview, never through a symbolic link we did not make. */
function writePrivate(file: string, content: string): void {
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_TRUNC | fs.constants.O_NOFOLLOW, 0o600);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(code === 'ELOOP' ? `${file} is a symbolic link: not written` : `cannot write ${file}: ${code ?? String(error)}`);
  }
  try {
    fs.fchmodSync(fd, 0o600);
    fs.writeFileSync(fd, content);
  } finally {
    fs.closeSync(fd);
  }
}
