import type { Factory } from '../../factory.js';
import { ok, type Result } from '../../result.js';
import { openSession } from '../../session.js';
import { UsageError } from '../../errors.js';
import { authorize } from '../../permissions.js';
import { GUEST_STATUSES, type GuestListRow, type GuestStatus } from '../../store/types.js';
import { iso } from '../../time.js';
import { emailKey, nameProblem } from '../../validate.js';

export interface ListOptions {
  status?: string;
  search?: string;
  partner?: string;
  /** complete: joined with MFA, apps and a trusted device; incomplete: everyone else. */
  setup?: string;
}

export function parseStatus(text: string | undefined): GuestStatus | undefined {
  if (text === undefined) return undefined;
  if ((GUEST_STATUSES as readonly string[]).includes(text)) return text as GuestStatus;
  throw new UsageError(`unknown --status ${JSON.stringify(text.slice(0, 40))}: use one of ${GUEST_STATUSES.join(', ')}`);
}

const MAX_SEARCH = 200;

/** The guests, as an iterable: printed as they are read. */
export function runList(options: ListOptions, f: Factory): Result<Iterable<GuestListRow>> {
  const status = parseStatus(options.status);
  if (options.setup !== undefined && options.setup !== 'complete' && options.setup !== 'incomplete') {
    throw new UsageError('unknown --setup: use complete or incomplete');
  }
  if (options.search !== undefined) {
    const problem = nameProblem(options.search, 'search text') ?? (options.search.length > MAX_SEARCH ? `the search text is longer than ${MAX_SEARCH} characters` : undefined);
    if (problem) throw new UsageError(`invalid --search: ${problem}`);
  }
  const { store, actor } = openSession(f);
  // A Guest Admin sees their partner's guests only.
  const scope = authorize(actor, { action: 'list' });
  let partnerId = scope.partnerId;
  if (options.partner !== undefined) {
    const partner = store.partners.find(options.partner);
    if (!partner) throw new UsageError(`no partner ${JSON.stringify(options.partner.slice(0, 80))}`);
    if (partnerId !== undefined && partnerId !== partner.id) return ok([]);
    partnerId = partner.id;
  }
  const rows = store.guests.iterate({ status, search: options.search, now: iso(f.now()), partnerId });
  if (options.setup === undefined) return ok(rows);
  const complete = store.credentials.emailsWithCompleteSetup();
  const wanted = options.setup === 'complete';
  return ok(
    (function* () {
      for (const r of rows) if (complete.has(emailKey(r.email)) === wanted) yield r;
    })(),
  );
}
