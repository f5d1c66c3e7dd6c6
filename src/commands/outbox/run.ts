import type { App } from '../../app.js';
import { deliverOutbox, type DeliveryResult } from '../../delivery/deliver.js';
import { UsageError } from '../../errors.js';
import { authorize } from '../../permissions.js';
import type { OutboxMessage, OutboxState } from '../../store/types.js';
import { iso } from '../../time.js';

const STATES: readonly OutboxState[] = ['queued', 'sending', 'sent', 'failed', 'unknown'];

export interface OutboxListing {
  counts: Record<OutboxState, number>;
  messages: Omit<OutboxMessage, 'leaseOwner'>[];
}

export function runOutboxList(options: { state?: string }, app: App): OutboxListing {
  if (options.state !== undefined && !(STATES as readonly string[]).includes(options.state)) {
    throw new UsageError(`unknown --state ${JSON.stringify(options.state.slice(0, 40))}: use one of ${STATES.join(', ')}`);
  }
  const store = app.store();
  app.workspace();
  authorize(app.actor(), { action: 'outbox' });
  return {
    counts: store.outbox.counts(),
    messages: store.outbox.list(options.state as OutboxState | undefined).map(({ leaseOwner: _owner, ...rest }) => rest),
  };
}

export interface FlushReport {
  /** Leases of a stopped process: back in the queue (nothing had started) … */
  releasedLeases: number;
  /** … or `unknown` (its SMTP transaction had started). */
  recoveredLeases: number;
  /** `unknown` messages put back in the queue by --retry-unknown. */
  retried: number;
  results: DeliveryResult[];
  counts: Record<string, number>;
}

/**
 * Sends what is due. Messages a dead process left `sending` go back to the queue if their
 * SMTP transaction had not started, else become `unknown`: never resent silently.
 */
export async function runOutboxFlush(options: { retryUnknown?: boolean; concurrency?: number }, app: App): Promise<FlushReport> {
  const store = app.store();
  const workspace = app.workspace();
  const actor = app.actor();
  authorize(actor, { action: 'outbox' });
  const now = iso(app.now());
  const { released, doubted } = store.write(() => store.outbox.recoverAbandonedLeases(now, actor.email));
  const retried = options.retryUnknown
    ? store.write(() => store.outbox.idsIn('unknown').filter((id) => store.outbox.retry(id, 'unknown', now, actor.email)).length)
    : 0;
  const ids = store.outbox.dueIds(now, 1_000_000);
  const concurrency = options.concurrency ?? 4;
  const results = ids.length
    ? await deliverOutbox({ store, mailer: app.mailer(concurrency), now: app.now, workspace }, ids, app.deliveryOptions(concurrency))
    : [];
  const counts: Record<string, number> = {};
  for (const r of results) counts[r.outcome] = (counts[r.outcome] ?? 0) + 1;
  return { releasedLeases: released, recoveredLeases: doubted, retried, results, counts };
}
