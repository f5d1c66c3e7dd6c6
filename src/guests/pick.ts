import { UsageError } from '../errors.js';
import type { Factory } from '../factory.js';
import { relativeTime } from '../output/time.js';
import { authorize } from '../permissions.js';
import { openSession } from '../session.js';
import type { GuestListRow, GuestStatus } from '../store/types.js';
import { iso } from '../time.js';

/**
 * The web app's Guest tab and its dialogs, on a terminal: `resend` or `revoke` with no address
 * lists the guests it could act on, the admin picks some, and a confirmation says what will
 * happen. Only when stdin and stdout are terminals; a script must name the guests.
 */
export type PickVerb = 'resend' | 'revoke';

const PICKABLE: Record<PickVerb, GuestStatus[]> = {
  resend: ['pending', 'expired'],
  revoke: ['pending', 'expired', 'joined'],
};

const DONE_NOTHING: Record<PickVerb, string> = { resend: 'nothing resent', revoke: 'nothing revoked' };

/** The picked addresses, confirmed; undefined when there was nobody to pick or the admin said no (said on stderr). */
export async function pickGuests(f: Factory, verb: PickVerb, options: { yes: boolean }): Promise<string[] | undefined> {
  if (!f.prompter.interactive) {
    const what = verb === 'resend' ? 'give the addresses to resend to, or --all-pending' : 'give the addresses to revoke';
    throw new UsageError(`${what} (standard input is not a terminal, so there is no list to pick from)`);
  }
  const { store, actor } = await openSession(f);
  const scope = authorize(actor, { action: 'list' });
  const now = f.now();
  const rows = await store.guests.list({ statuses: PICKABLE[verb], now: iso(now), partnerId: scope.partnerId, sort: 'email' });
  if (rows.length === 0) {
    f.reporter.info(verb === 'resend' ? 'no pending or expired invites to resend' : 'no pending invites or joined guests to revoke');
    return undefined;
  }
  const picked = await f.prompter.pick(
    verb === 'resend' ? 'Resend the invite to' : 'Revoke',
    rows.map((row) => ({ value: row.email, name: row.email, detail: detail(row, now) })),
  );
  if (options.yes) return picked;
  const chosen = rows.filter((row) => picked.includes(row.email));
  if (!(await f.prompter.confirm(consequence(verb, chosen), { default: false }))) {
    f.reporter.info(DONE_NOTHING[verb]);
    return undefined;
  }
  return picked;
}

function detail(row: GuestListRow, now: Date): string {
  const name = [row.name, row.familyName].filter(Boolean).join(' ');
  const when = row.status === 'joined' ? `joined ${relativeTime(row.joinedAt ?? row.invitedAt, now)}` : `${row.status === 'expired' ? 'expired' : 'expires'} ${relativeTime(row.expiresAt, now)}`;
  return [name, row.status, when, row.partner].filter(Boolean).join(' · ');
}

/** What will happen, in the words of the web app's dialog, then the question. */
export function consequence(verb: PickVerb, rows: GuestListRow[]): string {
  const [only] = rows;
  if (verb === 'resend') {
    return rows.length === 1 && only
      ? `A new temporary password is sent to ${only.email}; the old one stops working. Resend the invite?`
      : `New temporary passwords are sent to ${rows.length} guests; their old ones stop working. Resend the invites?`;
  }
  if (rows.length === 1 && only) {
    return only.status === 'joined'
      ? `${only.email} has joined: their access ends and their trusted devices are removed. Revoke?`
      : `The invite to ${only.email} is cancelled: its temporary password stops working at once. Revoke?`;
  }
  return `${rows.length} guests are revoked: pending invites are cancelled (their passwords stop working at once), joined guests lose their access. Revoke?`;
}

/** `resend --all-pending` on a terminal: how many, then the question (--yes skips it). */
export async function confirmAllPending(f: Factory, count: number, olderThanSeconds: number | undefined): Promise<boolean> {
  const which = olderThanSeconds === undefined ? '' : ` last sent more than ${inWords(olderThanSeconds)} ago`;
  const ok = await f.prompter.confirm(
    `Resend the invite to all ${count} pending guest${count === 1 ? '' : 's'}${which}? Each gets a new temporary password; the old ones stop working.`,
    { default: false },
  );
  if (!ok) f.reporter.info(DONE_NOTHING.resend);
  return ok;
}

/** 259200 → "3 days": the largest whole unit. */
function inWords(seconds: number): string {
  for (const [unit, size] of [['week', 604_800], ['day', 86_400], ['hour', 3_600], ['minute', 60]] as const) {
    if (seconds >= size && seconds % size === 0) return `${seconds / size} ${unit}${seconds / size === 1 ? '' : 's'}`;
  }
  return `${seconds} seconds`;
}
