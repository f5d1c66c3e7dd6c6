import { deliverOutbox, type DeliveryResult } from '../../delivery/deliver.js';
import type { Factory } from '../../factory.js';
import { authorize } from '../../permissions.js';
import { ok, runStatus, type Result } from '../../result.js';
import { openSession } from '../../session.js';
import type { OutboxMessage, OutboxState } from '../../store/types.js';
import { iso } from '../../time.js';

export interface OutboxListing {
  counts: Record<OutboxState, number>;
  messages: Omit<OutboxMessage, 'leaseOwner'>[];
}

export function runOutboxList(options: { state?: OutboxState }, f: Factory): Result<OutboxListing> {
  const { store, actor } = openSession(f);
  authorize(actor, { action: 'outbox' });
  return ok({
    counts: store.outbox.counts(),
    messages: store.outbox.list(options.state).map(({ leaseOwner: _owner, ...rest }) => rest),
  });
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
export async function runOutboxFlush(options: { retryUnknown: boolean; concurrency: number }, f: Factory): Promise<Result<FlushReport>> {
  const { store, workspace, actor } = openSession(f);
  authorize(actor, { action: 'outbox' });
  const now = iso(f.now());
  const { released, doubted } = store.write(() => store.outbox.recoverAbandonedLeases(now, actor.email));
  const retried = options.retryUnknown
    ? store.write(() => store.outbox.idsIn('unknown').filter((id) => store.outbox.retry(id, 'unknown', now, actor.email)).length)
    : 0;
  const ids = store.outbox.dueIds(now, 1_000_000);
  const concurrency = options.concurrency;
  const results = ids.length
    ? await deliverOutbox({ store, mailer: f.mailer(concurrency), now: f.now, workspace }, ids, f.deliveryOptions(concurrency))
    : [];
  const counts: Record<string, number> = {};
  for (const r of results) counts[r.outcome] = (counts[r.outcome] ?? 0) + 1;
  // Skipped (another process has it, or the guest changed) is not a failure of this run.
  const status = runStatus(results.map((r) => (r.outcome === 'sent' || r.outcome === 'skipped' ? 'done' : 'not-done')));
  return { status, data: { releasedLeases: released, recoveredLeases: doubted, retried, results, counts } };
}
