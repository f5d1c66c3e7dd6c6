import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { RenderedEmail } from '../email/render.js';
import { packageRoot } from '../package-root.js';
import { gateOpen, SendCancelled, type Gate, type Mailer, type SendReceipt, type SmtpMailerOptions } from './mailer.js';
import { describeSmtp, type SmtpConfig } from './smtp-config.js';

/**
 * A gated send says `taken` when a connection takes it, and its message waits for the `gate`
 * answer (its envelope may go meanwhile: see `Mailer.send`).
 */
type Request = { type: 'send'; email: RenderedEmail; gated: boolean } | { type: 'verify' };
export type ToWorker = (Request & { id: number }) | { type: 'gate'; id: number; open: boolean } | { type: 'close' };

export type FromWorker = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: Record<string, unknown> } | { taken: number } | { ready: true };

/**
 * What the delivery layer reads of a send error (classify.ts, the fix-it hints): copied field by
 * field, since an Error's own properties do not all survive the trip between threads.
 */
const ERROR_FIELDS = ['message', 'code', 'originalCode', 'responseCode', 'command', 'response', 'dataHandedOver', 'suggestedUrl'] as const;

export function errorFields(error: unknown): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  const source = (error ?? {}) as Record<string, unknown>;
  for (const key of ERROR_FIELDS) if (source[key] !== undefined) fields[key] = source[key];
  if (fields.message === undefined) fields.message = String(error);
  return fields;
}

function errorFrom(fields: Record<string, unknown>): Error {
  if (fields.code === 'ECANCELLED') return new SendCancelled();
  const { message, ...rest } = fields;
  return Object.assign(new Error(String(message)), rest);
}

/**
 * An SmtpMailer on a worker thread (`smtp-worker.ts`): the same pool, QUIT and hand-over
 * tracking, the same errors. Composing and writing the messages is most of a run's CPU; on its
 * own thread it overlaps the main thread's CSV, store and lease work (a 10,000-row run: 1.35–1.5×
 * the bare nodemailer pool → 1.1–1.25×). For runs of many messages; one invite sends in-process,
 * since a thread costs ~30 ms to start. Two threads were tried: on two cores, more CPU, no faster;
 * composing on the main thread ahead of each send: more CPU, no faster either.
 */
export class ThreadedSmtpMailer implements Mailer {
  readonly kind = 'smtp' as const;
  readonly description: string;
  readonly queuesAhead = true;
  private readonly worker: Worker;
  /** Gated sends not yet taken by a connection, by request id. */
  private readonly gates = new Map<number, Gate>();
  private nextId = 0;
  private readonly waiting = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  private failure?: Error;
  /** The thread's uncaught error, kept until it has exited (see 'exit'). */
  private threadError?: Error;
  private exited = false;
  /** Sends asked for after the thread failed but before it exited: never given to it. */
  private notPosted: Array<(error: Error) => void> = [];

  /** Set once the thread has loaded and said so: a failure before that sent nothing. */
  private ready = false;

  constructor(
    private readonly config: SmtpConfig,
    private readonly options: SmtpMailerOptions,
    /** The thread's script; a test can give another. */
    private readonly workerFile = path.join(packageRoot(import.meta.url), 'dist', 'bundle', 'mail', 'smtp-worker.js'),
  ) {
    this.description = describeSmtp(config);
    // Started now: it loads nodemailer while the run reads and records its first rows.
    this.worker = this.startThread();
  }

  /** The thread (one per mailer; `close()` ends it). */
  private startThread(): Worker {
    const worker = new Worker(this.workerFile, {
      workerData: { config: this.config, options: this.options },
      // The thread's own heap: a smaller young generation keeps its MIME churn from adding 45 MB
      // to a run's peak (30,000 rows: 194 → 171 MB) at no measurable cost in speed.
      resourceLimits: { maxYoungGenerationSizeMb: 12 },
    });
    worker.on('message', (reply: FromWorker) => {
      if ('ready' in reply) {
        this.ready = true;
        return;
      }
      if ('taken' in reply) {
        const id = reply.taken;
        const gate = this.gates.get(id);
        this.gates.delete(id);
        if (gate) {
          void gateOpen(gate()).then((open) => {
            if (!this.exited && this.waiting.has(id)) this.worker.postMessage({ type: 'gate', id, open } satisfies ToWorker);
          });
        }
        return;
      }
      const pending = this.waiting.get(reply.id);
      this.gates.delete(reply.id);
      if (!pending) return;
      this.waiting.delete(reply.id);
      if (reply.ok) pending.resolve(reply.value);
      else pending.reject(errorFrom(reply.error));
    });
    // The thread's uncaught error arrives on Node's internal port, its 'ready' on ours: the two
    // can come in either order. Node reads every message left on both ports before 'exit', so the
    // failure is settled there, once 'ready' has surely been seen.
    worker.on('error', (error) => {
      this.threadError ??= error;
    });
    worker.on('exit', (code) => {
      this.exited = true;
      const error = this.threadError ?? new Error(`exit code ${code}`);
      // Every later send fails at once, as a configuration error (the run stops; nothing of it was sent).
      this.failure ??= Object.assign(new Error(`the SMTP thread ${this.ready ? 'stopped' : 'could not start'}: ${error.message}`), { code: 'ECONFIG' });
      // What was in flight may have been handed over if the thread was sending: in doubt. A
      // gated email no connection had taken yet (its gate never asked) was not: it fails as the later ones do.
      const inFlight = Object.assign(new Error(this.failure.message), this.ready ? { dataHandedOver: true } : { code: 'ECONFIG' });
      for (const [id, pending] of this.waiting) pending.reject(this.gates.has(id) ? this.failure : inFlight);
      this.waiting.clear();
      this.gates.clear();
      for (const reject of this.notPosted) reject(this.failure);
      this.notPosted = [];
    });
    return worker;
  }

  private call(request: Request): { id: number; reply: Promise<unknown> } {
    if (this.failure) return { id: 0, reply: Promise.reject(this.failure) };
    if (this.threadError) return { id: 0, reply: new Promise((_, reject) => this.notPosted.push(reject)) };
    const id = ++this.nextId;
    const reply = new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.worker.postMessage({ ...request, id } satisfies ToWorker);
    });
    return { id, reply };
  }

  /** Posted at once: the thread composes the email; `gate` is asked here when a connection takes it. */
  async send(email: RenderedEmail, _fileStem?: string, gate?: Gate): Promise<SendReceipt> {
    const { id, reply } = this.call({ type: 'send', email, gated: gate !== undefined });
    if (gate && id) this.gates.set(id, gate);
    return (await reply) as SendReceipt;
  }

  async verify(): Promise<void> {
    await this.call({ type: 'verify' }).reply;
  }

  close(): void {
    if (this.exited) return;
    this.worker.postMessage({ type: 'close' } satisfies ToWorker);
  }
}
