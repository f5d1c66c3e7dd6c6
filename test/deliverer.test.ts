import { Deliverer, type DeliveryResult, type SendJob } from '../src/delivery/deliver.js';
import type { RenderedEmail } from '../src/email/render.js';
import { recordNewInvites } from '../src/invites/record.js';
import type { Mailer, SendReceipt } from '../src/mail/mailer.js';
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
  const record = async (emails: string[]): Promise<SendJob[]> => {
    const recorded = await store.write((tx) =>
      recordNewInvites(
        tx,
        workspace,
        now,
        emails.map((email) => ({ email, name: null, familyName: null, message: null, actor: 'owner@acme.example', invitedVia: 'members' as const, action: 'invite' as const })),
      ),
    );
    return recorded.map((r) => ({ outboxId: r!.outboxId, tempPassword: r!.tempPassword, message: r!.message }));
  };
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
