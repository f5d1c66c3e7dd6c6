import { Deliverer, type DeliveryOptions, type DeliveryResult, type SendJob } from '../src/delivery/deliver.js';
import type { RenderedEmail } from '../src/email/render.js';
import { recordNewInvites } from '../src/invites/record.js';
import { Interrupted } from '../src/errors.js';
import { SendCancelled, type Gate, type Mailer, type SendReceipt } from '../src/mail/mailer.js';
import type { Store } from '../src/store/store.js';
import type { Workspace } from '../src/store/types.js';
import { fastWorkspace } from './fast/harness.js';

/** A mailer whose first send waits until the test lets it go; the others go at once. */
class FirstHeldMailer implements Mailer {
  readonly kind = 'smtp' as const;
  readonly description = 'held SMTP';
  readonly sent: string[] = [];
  private held?: () => void;
  private first = true;

  get holding(): boolean {
    return this.held !== undefined;
  }

  send(email: RenderedEmail): Promise<SendReceipt> {
    const done = () => {
      this.sent.push(email.to);
      return { response: '250 ok' };
    };
    if (!this.first) return Promise.resolve(done());
    this.first = false;
    return new Promise((resolve) => (this.held = () => resolve(done())));
  }

  letFirstGo(): void {
    this.held?.();
    this.held = undefined;
  }

  verify(): Promise<void> {
    return Promise.resolve();
  }

  close(): void {}
}

/** Turns of the event loop until `condition` holds (no timer: nothing here waits on time). */
async function until(condition: () => boolean): Promise<void> {
  for (let turn = 0; !condition(); turn++) {
    if (turn > 10_000) throw new Error('never happened');
    await new Promise((resolve) => setImmediate(resolve));
  }
}

test('emails submitted while the only one in flight is being sent are sent too: its worker looks again once it is done', async () => {
  const { store } = await fastWorkspace();
  const workspace = (await store.workspace.get())!;
  const now = new Date('2026-12-06T10:00:00.000Z');
  const record = (emails: string[]) => recordJobs(store, workspace, now, emails);
  const mailer = new FirstHeldMailer();
  const results: DeliveryResult[] = [];
  const deliverer = new Deliverer({ store, mailer, now: () => now, workspace }, { concurrency: 1, maxAttempts: 1, backoffMs: 1, onResult: (r) => results.push(r) });

  deliverer.submit(await record(['ada@partner.example']));
  // Ada's email is with the server; her worker has looked for the next one and found none.
  await until(() => mailer.holding);
  // A bulk run's next batch, committed meanwhile (its sync to disk took that long).
  deliverer.submit(await record(['bo@partner.example', 'cy@partner.example']));
  mailer.letFirstGo();
  await deliverer.finish();

  // Before, the worker ended with Ada's send; with it counted as working, none was started for
  // the batch, and the run ended with both "queued: not sent: the run stopped".
  expect(results.map((r) => [r.recipient, r.outcome])).toEqual([
    ['ada@partner.example', 'sent'],
    ['bo@partner.example', 'sent'],
    ['cy@partner.example', 'sent'],
  ]);
  expect(mailer.sent).toEqual(['ada@partner.example', 'bo@partner.example', 'cy@partner.example']);
  expect((await store.outbox.list()).map((m) => m.state)).toEqual(['sent', 'sent', 'sent']);
});

/** Records new invites as a bulk run does: the jobs to submit. */
async function recordJobs(store: Store, workspace: Workspace, now: Date, emails: string[]): Promise<SendJob[]> {
  const recorded = await store.write((tx) =>
    recordNewInvites(
      tx,
      workspace,
      now,
      emails.map((email) => ({ email, name: null, familyName: null, message: null, actor: 'owner@acme.example', invitedVia: 'members' as const, action: 'invite' as const })),
    ),
  );
  return recorded.map((r) => ({ outboxId: r!.outboxId, tempPassword: r!.tempPassword, message: r!.message }));
}

/**
 * An SMTP pool as the deliverer sees one: sends wait, composed, until the test lets a connection
 * take the next one (its gate is asked then) and then answers it.
 */
class PoolMailer implements Mailer {
  readonly kind = 'smtp' as const;
  readonly description = 'pool';
  readonly queuesAhead = true;
  /** Posted and not yet taken, in order. */
  readonly waiting: { to: string; gate?: Gate; settle: (error?: Error) => void }[] = [];
  readonly sent: string[] = [];

  send(email: RenderedEmail, _stem?: string, gate?: Gate): Promise<SendReceipt> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ to: email.to, gate, settle: (error) => (error ? reject(error) : resolve({ response: '250 ok' })) });
    });
  }

  /** A connection takes the next email: its gate is asked; open, it is delivered. */
  async takeNext(): Promise<{ to: string; open: boolean }> {
    const next = this.waiting.shift()!;
    const open = next.gate ? await next.gate() : true;
    if (open) this.sent.push(next.to);
    next.settle(open ? undefined : new SendCancelled());
    return { to: next.to, open };
  }

  /** The next email fails before any connection took it (its gate never asked). */
  failNext(error: Error): string {
    const next = this.waiting.shift()!;
    next.settle(error);
    return next.to;
  }

  verify(): Promise<void> {
    return Promise.resolve();
  }

  close(): void {}
}

describe('a mailer that queues ahead (an SMTP pool)', () => {
  const now = new Date('2026-12-06T10:00:00.000Z');

  /** A deliverer over a PoolMailer, given these emails to send. */
  async function poolRun(concurrency: number, emails: string[], options: Partial<DeliveryOptions> = {}) {
    const { store } = await fastWorkspace();
    const workspace = (await store.workspace.get())!;
    const mailer = new PoolMailer();
    const results: DeliveryResult[] = [];
    const deliverer = new Deliverer({ store, mailer, now: () => now, workspace }, { concurrency, maxAttempts: 1, backoffMs: 1, onResult: (r) => results.push(r), ...options });
    deliverer.submit(await recordJobs(store, workspace, now, emails));
    return { store, mailer, results, deliverer };
  }

  /** Connections take what waits until `count` emails were sent. */
  async function sendUntil(mailer: PoolMailer, count: number): Promise<void> {
    while (mailer.sent.length < count) {
      await until(() => mailer.waiting.length > 0);
      await mailer.takeNext();
    }
  }

  test('each connection has its next email waiting; an email is marked as handed over only when a connection takes it', async () => {
    const emails = ['a@partner.example', 'b@partner.example', 'c@partner.example', 'd@partner.example', 'e@partner.example', 'f@partner.example'];
    const { store, mailer, results, deliverer } = await poolRun(2, emails);

    // Two connections, two emails each: one to send, one ready behind it; none marked yet.
    await until(() => mailer.waiting.length === 4);
    const handedOver = async () => (await store.outbox.list()).filter((m) => m.handoverAt !== null).map((m) => m.recipient);
    expect(await handedOver()).toEqual([]);

    expect(await mailer.takeNext()).toEqual({ to: 'a@partner.example', open: true });
    expect(await handedOver()).toEqual(['a@partner.example']);
    await sendUntil(mailer, emails.length);
    await deliverer.finish();
    expect(results.map((r) => r.outcome)).toEqual(['sent', 'sent', 'sent', 'sent', 'sent', 'sent']);
    expect((await store.outbox.list()).map((m) => m.state)).toEqual(['sent', 'sent', 'sent', 'sent', 'sent', 'sent']);
  });

  test("a connection's outcome is committed with the hand-over mark of the email it takes next: one commit for both", async () => {
    const { store, mailer, deliverer } = await poolRun(1, ['a@partner.example', 'b@partner.example', 'c@partner.example']);
    await until(() => mailer.waiting.length === 2);
    const states = async () => (await store.outbox.list()).map((m) => [m.recipient, m.state, m.handoverAt !== null]);
    expect(await mailer.takeNext()).toEqual({ to: 'a@partner.example', open: true });
    // a is answered; b waits for the connection, so a's outcome waits for b's mark.
    for (let turn = 0; turn < 100; turn++) await new Promise((resolve) => setImmediate(resolve));
    expect(await states()).toEqual([
      ['a@partner.example', 'sending', true],
      ['b@partner.example', 'sending', false],
      ['c@partner.example', 'sending', false],
    ]);
    expect(await mailer.takeNext()).toEqual({ to: 'b@partner.example', open: true });
    expect((await states()).slice(0, 2)).toEqual([
      ['a@partner.example', 'sent', true],
      ['b@partner.example', 'sending', true],
    ]);
    await sendUntil(mailer, 3);
    await deliverer.finish();
    // Nothing waits for a connection any more: the last outcome is committed on its own.
    expect((await states()).map(([, state]) => state)).toEqual(['sent', 'sent', 'sent']);
  });

  test('an email that fails before a connection took it is never in doubt, whatever the error says: it goes back to the queue', async () => {
    const { store, mailer, results, deliverer } = await poolRun(1, ['a@partner.example', 'b@partner.example']);
    await until(() => mailer.waiting.length === 2);
    // As a pool whose thread died would fail it: "the data may have gone".
    mailer.failNext(Object.assign(new Error('the SMTP thread stopped'), { dataHandedOver: true }));
    await until(() => mailer.waiting.length > 0);
    await mailer.takeNext();
    await deliverer.finish();
    expect(results.map((r) => [r.recipient, r.outcome])).toEqual([
      ['a@partner.example', 'queued'],
      ['b@partner.example', 'sent'],
    ]);
    expect((await store.outbox.list()).map((m) => [m.recipient, m.state])).toEqual([
      ['a@partner.example', 'queued'],
      ['b@partner.example', 'sent'],
    ]);
  });

  test('under a rate limit nothing waits ahead: each email is posted in its own slot', async () => {
    const { mailer, deliverer } = await poolRun(2, ['a@partner.example', 'b@partner.example', 'c@partner.example', 'd@partner.example'], {
      ratePerSecond: 1000,
      sleep: () => Promise.resolve(),
    });
    await until(() => mailer.waiting.length === 2);
    // Many turns later: still one per connection.
    for (let turn = 0; turn < 200; turn++) await new Promise((resolve) => setImmediate(resolve));
    expect(mailer.waiting).toHaveLength(2);
    await sendUntil(mailer, 4);
    await deliverer.finish();
  });

  test('a run stopped while an email waits for a connection: that email is not marked, not sent, and back in the queue', async () => {
    const { store, mailer, results, deliverer } = await poolRun(1, ['a@partner.example', 'b@partner.example']);
    await until(() => mailer.waiting.length === 2);
    expect(await mailer.takeNext()).toEqual({ to: 'a@partner.example', open: true });
    // Stopped while b waits, composed, for the connection: when it is taken, its gate stays shut.
    deliverer.stop(new Interrupted('SIGINT'));
    expect(await mailer.takeNext()).toEqual({ to: 'b@partner.example', open: false });
    await expect(deliverer.finish()).rejects.toBeInstanceOf(Interrupted);
    expect(results.map((r) => [r.recipient, r.outcome])).toEqual([
      ['a@partner.example', 'sent'],
      ['b@partner.example', 'queued'],
    ]);
    expect((await store.outbox.list()).map((m) => [m.recipient, m.state, m.handoverAt !== null])).toEqual([
      ['a@partner.example', 'sent', true],
      ['b@partner.example', 'queued', false],
    ]);
  });
});
