import type { RenderedEmail } from '../src/email/render.js';
import { passGate, type Gate, type Mailer, type SendReceipt } from '../src/mail/mailer.js';

/** A mailer that keeps what it is given: the fast layer's SMTP server. */
export class FakeMailer implements Mailer {
  readonly kind = 'smtp' as const;
  readonly description = 'fake SMTP';
  readonly sent: RenderedEmail[] = [];
  /** Makes the next sends fail with these errors (an SMTP-style error: responseCode, code…). */
  readonly failures: Error[] = [];

  /** Like a real mailer, a gated email counts as sent only once its gate opens. */
  async send(email: RenderedEmail, _stem?: string, gate?: Gate): Promise<SendReceipt> {
    await passGate(gate);
    const failure = this.failures.shift();
    if (failure) throw failure;
    this.sent.push(email);
    return { response: '250 2.0.0 queued by the fake mailer' };
  }

  verify(): Promise<void> {
    return Promise.resolve();
  }

  close(): void {}

  /** The temporary password in the last email to `to`. */
  tempPasswordFor(to: string): string {
    const email = [...this.sent].reverse().find((e) => e.to.toLowerCase() === to.toLowerCase());
    const match = email && /Temporary password:\s+(\S+)/.exec(email.text);
    if (!match) throw new Error(`no invite email to ${to}`);
    return match[1]!;
  }
}
