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

/** The guests, in batches as they are read: printed as they come, never all held. */
export async function runList(options: ListOptions, f: Factory): Promise<Result<AsyncIterable<readonly GuestListRow[]>>> {
  if (options.setup !== undefined && options.setup !== 'complete' && options.setup !== 'incomplete') {
    throw new UsageError('unknown --setup: use complete or incomplete');
  }
  if (options.search !== undefined) {
    const problem = nameProblem(options.search, 'search text') ?? (options.search.length > MAX_SEARCH ? `the search text is longer than ${MAX_SEARCH} characters` : undefined);
    if (problem) throw new UsageError(`invalid --search: ${problem}`);
  }
  const { store, actor } = await openSession(f);
  // A Guest Admin sees their partner's guests only.
  const scope = authorize(actor, { action: 'list' });
  let partnerId = scope.partnerId;
  if (options.partner !== undefined) {
    const partner = await store.partners.find(options.partner);
    if (!partner) throw new UsageError(`no partner ${JSON.stringify(options.partner.slice(0, 80))}`);
    if (partnerId !== undefined && partnerId !== partner.id) return ok(noRows());
    partnerId = partner.id;
  }
  const batches = store.guests.batches({ statuses: options.statuses, search: options.search, now: iso(f.now()), partnerId, sort: options.sort, descending: options.descending });
  const complete = options.setup === undefined ? undefined : await store.credentials.emailsWithCompleteSetup();
  const wanted = options.setup === 'complete';
  const limit = options.limit ?? Infinity;
  return ok(
    (async function* () {
      let given = 0;
      // Leaving early (a limit, a closed pipe) closes the query and gives the store back.
      for await (const batch of batches) {
        let rows = complete === undefined ? batch : batch.filter((r) => complete.has(emailKey(r.email)) === wanted);
        if (given + rows.length >= limit) rows = rows.slice(0, limit - given);
        given += rows.length;
        yield rows;
        if (given >= limit) return;
      }
    })(),
  );
}

async function* noRows(): AsyncGenerator<readonly GuestListRow[]> {}
