import { deliverOutbox, ownerProcess, type DeliveryResult } from '../../delivery/deliver.js';
import type { Factory } from '../../factory.js';
import { UsageError } from '../../errors.js';
import { authorize } from '../../permissions.js';
import { ok, runStatus, type Result } from '../../result.js';
import { openSession } from '../../session.js';
import type { OutboxMessage, OutboxState } from '../../store/types.js';
import { iso } from '../../time.js';

export interface OutboxListing {
  counts: Record<OutboxState, number>;
  messages: Omit<OutboxMessage, 'leaseOwner'>[];
}

export async function runOutboxList(options: { state?: OutboxState }, f: Factory): Promise<Result<OutboxListing>> {
  const { store, actor } = await openSession(f);
  authorize(actor, { action: 'outbox' });
  return ok({
    counts: await store.outbox.counts(),
    messages: (await store.outbox.list(options.state)).map(({ leaseOwner: _owner, ...rest }) => rest),
  });
}

export interface FlushReport {
  /** Queued messages whose retry time has not come. */
  waiting: { count: number; next: string | null };
  /** `failed` messages put back in the queue by --retry-failed. */
  retriedFailed: number;
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
export async function runOutboxFlush(options: { retryUnknown: boolean; retryFailed: boolean; concurrency: number }, f: Factory): Promise<Result<FlushReport>> {
  const { store, workspace, actor } = await openSession(f);
  authorize(actor, { action: 'outbox' });
  const now = iso(f.now());
  const due = await store.outbox.due(now, 1_000_000);
  // An email recorded for SMTP is never written to a file because this run has no SMTP server.
  const mailer = f.mailer(options.concurrency);
  if (mailer.kind === 'folder') {
    const forSmtp = due.filter((m) => m.route === 'smtp').length;
    if (forSmtp > 0) {
      throw new UsageError(
        `${forSmtp} invite email(s) are bound for an SMTP server, but none is configured for this run: run \`${f.hint('--smtp smtp://USER@HOST:587 outbox flush')}\`, or save the server once with \`${f.hint('config set smtp smtp://USER@HOST:587')}\``,
      );
    }
  }
  const alive = (owner: string) => f.processes?.alive(ownerProcess(owner));
  const { released, doubted } = await store.write((tx) => tx.outbox.recoverAbandonedLeases(now, actor.email, alive));
  const retry = (state: 'unknown' | 'failed') =>
    store.write(async (tx) => {
      let retried = 0;
      for (const id of await tx.outbox.idsIn(state)) if (await tx.outbox.retry(id, state, now, actor.email)) retried++;
      return retried;
    });
  const retried = options.retryUnknown ? await retry('unknown') : 0;
  const retriedFailed = options.retryFailed ? await retry('failed') : 0;
  // Each email goes the way it was recorded for; those of the other way wait for a run configured for it.
  const ids = (await store.outbox.due(now, 1_000_000))
    .filter((m) => m.route === null || m.route === mailer.kind)
    .map((m) => m.id);
  const concurrency = options.concurrency;
  const results = ids.length
    ? await deliverOutbox({ store, mailer, now: f.now, workspace, processIdentity: f.processes?.self }, ids, f.deliveryOptions(concurrency), (stop) =>
        f.interruptible(stop),
      )
    : [];
  const counts: Record<string, number> = {};
  for (const r of results) counts[r.outcome] = (counts[r.outcome] ?? 0) + 1;
  // Skipped (another process has it, or the guest changed) is not a failure of this run.
  const status = runStatus(results.map((r) => (r.outcome === 'sent' || r.outcome === 'skipped' ? 'done' : 'not-done')));
  return { status, data: { releasedLeases: released, recoveredLeases: doubted, retried, retriedFailed, results, counts, waiting: await store.outbox.waiting(now) } };
}
