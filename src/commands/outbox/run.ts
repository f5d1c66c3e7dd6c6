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
    counts: store.outboxCounts(),
    messages: store.listOutbox(options.state as OutboxState | undefined).map(({ leaseOwner: _owner, ...rest }) => rest),
  };
}

export interface FlushReport {
  recoveredLeases: number;
  results: DeliveryResult[];
  counts: Record<string, number>;
}

/** Sends what is due. Messages left `sending` by a dead process become `unknown` first, never resent silently. */
export async function runOutboxFlush(options: { retryUnknown?: boolean; concurrency?: number }, app: App): Promise<FlushReport> {
  const store = app.store();
  const workspace = app.workspace();
  authorize(app.actor(), { action: 'outbox' });
  const now = iso(app.now());
  const recoveredLeases = store.write(() => store.expireAbandonedLeases(now));
  const ids = store.dueOutboxMessageIds(now, 1_000_000, options.retryUnknown);
  const concurrency = options.concurrency ?? 4;
  const results = ids.length
    ? await deliverOutbox(
        { store, mailer: app.mailer(concurrency), now: app.now, workspace },
        ids,
        { ...app.deliveryOptions(concurrency), retryUnknown: options.retryUnknown },
      )
    : [];
  const counts: Record<string, number> = {};
  for (const r of results) counts[r.outcome] = (counts[r.outcome] ?? 0) + 1;
  return { recoveredLeases, results, counts };
}
