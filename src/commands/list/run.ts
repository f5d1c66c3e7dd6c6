import type { Factory } from '../../factory.js';
import { ok, type Result } from '../../result.js';
import { openSession } from '../../session.js';
import { UsageError } from '../../errors.js';
import { authorize } from '../../permissions.js';
import type { GuestSort } from '../../store/guests.js';
import type { GuestListRow, GuestStatus } from '../../store/types.js';
import { iso } from '../../time.js';
import { emailKey, nameProblem } from '../../validate.js';

export interface ListOptions {
  /** Any of these; none: every status. */
  statuses?: readonly GuestStatus[];
  search?: string;
  sort?: GuestSort;
  descending?: boolean;
  /** At most this many rows (after every filter). */
  limit?: number;
  partner?: string;
  /** complete: joined with MFA, apps and a trusted device; incomplete: everyone else. */
  setup?: string;
}

const MAX_SEARCH = 200;

/** The guests, as an iterable: printed as they are read. */
export function runList(options: ListOptions, f: Factory): Result<Iterable<GuestListRow>> {
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
  const rows = store.guests.iterate({ statuses: options.statuses, search: options.search, now: iso(f.now()), partnerId, sort: options.sort, descending: options.descending });
  const complete = options.setup === undefined ? undefined : store.credentials.emailsWithCompleteSetup();
  const wanted = options.setup === 'complete';
  const limit = options.limit ?? Infinity;
  return ok(
    (function* () {
      let given = 0;
      // Leaving the loop early closes the statement (better-sqlite3 iterators clean up on return).
      for (const r of rows) {
        if (complete !== undefined && complete.has(emailKey(r.email)) !== wanted) continue;
        yield r;
        if (++given >= limit) return;
      }
    })(),
  );
}
