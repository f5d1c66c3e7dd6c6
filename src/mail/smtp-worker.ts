/**
 * The SMTP pool of a bulk run, on a thread of its own (see `threaded.ts`). It runs the same
 * SmtpMailer as a single invite does and answers each request with its result or its error.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { SmtpMailer, type SmtpMailerOptions } from './mailer.js';
import type { SmtpConfig } from './smtp-config.js';
import { errorFields, type FromWorker, type ToWorker } from './threaded.js';

// No stack of this thread is ever shown (errors cross to the main thread as fields), and Node's
// stream pipeline makes an AbortError DOMException for every email it composes: capturing their
// stacks was 3% of this thread's time.
Error.stackTraceLimit = 0;

const { config, options } = workerData as { config: SmtpConfig; options: SmtpMailerOptions };
const mailer = new SmtpMailer(config, options);
const port = parentPort!;

// Loaded: from now on a failure of this thread may hit a message in flight.
port.postMessage({ ready: true });

/** The gates of gated sends a connection took, by request id, until the main thread opens or closes them. */
const gates = new Map<number, (open: boolean) => void>();

port.on('message', (message: ToWorker) => {
  if (message.type === 'gate') {
    gates.get(message.id)?.(message.open);
    gates.delete(message.id);
    return;
  }
  if (message.type === 'close') {
    mailer.close();
    // Nothing more will come: the thread ends once the pool's QUITs are answered (or cut off).
    port.close();
    return;
  }
  const { id } = message;
  let work: Promise<unknown>;
  if (message.type === 'send') {
    // Asked when a connection takes the email: the main thread decides (see `Mailer.send`).
    const gate = message.gated
      ? () => {
          port.postMessage({ taken: id } satisfies FromWorker);
          return new Promise<boolean>((open) => gates.set(id, open));
        }
      : undefined;
    work = mailer.send(message.email, '', gate);
  } else {
    work = mailer.verify();
  }
  work.then(
    (value) => port.postMessage({ id, ok: true, value } satisfies FromWorker),
    (error: unknown) => port.postMessage({ id, ok: false, error: errorFields(error) } satisfies FromWorker),
  ).finally(() => gates.delete(id));
});
