import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { address, addressKey } from '../address.js';
import type { RenderedEmail } from '../email/render.js';
import { describeSmtp, type SmtpConfig } from './smtp-config.js';
import { explainSmtpError } from './smtp-errors.js';

export interface SendReceipt {
  /** The server's reply, or where the file was written. */
  response: string;
  filePath?: string;
}

/** Where invite emails go: an SMTP server, or `.eml` files in the outbox folder. */
export interface Mailer {
  readonly kind: 'smtp' | 'folder';
  /** Safe to print: never contains a password. */
  readonly description: string;
  /**
   * `fileStem` names the `.eml` file in folder mode. With `gate`, the email is made ready (its
   * MIME composed) and `gate` is asked once, when the email is about to go out (a connection
   * took it). Its envelope may go meanwhile (MAIL, RCPT, DATA: nothing is delivered by them),
   * but nothing of the message itself reaches the server (or the folder) before the gate says
   * true; when it says false the send rejects with `SendCancelled`, nothing having been
   * delivered (an SMTP transaction already at DATA is abandoned by closing its connection).
   */
  send(email: RenderedEmail, fileStem: string, gate?: Gate): Promise<SendReceipt>;
  verify(): Promise<void>;
  close(): void;
  /**
   * Holds sends beyond its connections, composed, each taken by the next connection free (an
   * SMTP pool): a sender then keeps one email waiting per connection, so a connection that
   * finishes one starts the next at once, its gate decided while the envelope goes.
   */
  readonly queuesAhead?: boolean;
}

/** Whether an email may go out now: asked once, when it is about to (see `Mailer.send`). */
export type Gate = () => Promise<boolean>;

type Transporter = import('nodemailer').Transporter;

// nodemailer is loaded only when mail is sent: `--version` and `list` do not pay for it.
async function nodemailer(): Promise<typeof import('nodemailer')> {
  return import('nodemailer');
}

/** A gated send whose gate closed: nothing of the message was handed over. */
export class SendCancelled extends Error {
  readonly code = 'ECANCELLED';
  constructor() {
    super('not sent: cancelled before any of it went out');
  }
}

/** Whether a send's gate opened (see `Mailer.send`): a gate that fails counts as closed. */
export function gateOpen(gate: Promise<boolean>): Promise<boolean> {
  return gate.catch(() => false);
}

/** Asks a send's gate; throws `SendCancelled` if it closed. */
export async function passGate(gate: Gate | undefined): Promise<void> {
  if (gate && !(await gateOpen(gate()))) throw new SendCancelled();
}

interface Handover {
  done: boolean;
  gate?: Gate;
  /** The gate's answer, once a connection took the message. */
  opening?: Promise<boolean>;
  /** The gate closed: nothing of the message went out. */
  cancelled?: boolean;
}

/**
 * Marks `mail.data.handover.done` once the whole message has streamed out: the message
 * stream's own 'end' (its last byte went to the connection), with no stream stage added.
 * A gated message asks its gate when a connection takes it (the pool asks for its stream):
 * the envelope goes while the gate decides, and the message's bytes only once it opened. A
 * closed gate fails the stream, and nodemailer closes that connection without ending DATA.
 */
function trackHandover(transporter: Transporter): Transporter {
  transporter.use('stream', (mail, callback) => {
    const handover = (mail.data as { handover?: Handover }).handover;
    if (!handover) return callback();
    const message = mail.message as unknown as { createReadStream(options?: unknown): NodeJS.ReadableStream };
    const create = message.createReadStream.bind(message);
    message.createReadStream = (options?: unknown) => {
      const stream = create(options);
      stream.once('end', () => {
        handover.done = true;
      });
      if (handover.gate) holdUntilOpen(stream, handover, handover.gate);
      return stream;
    };
    callback();
  });
  return transporter;
}

/** The connection pipes the stream after DATA; the pipe waits for the gate (no stream stage added). */
function holdUntilOpen(stream: NodeJS.ReadableStream, handover: Handover, gate: Gate): void {
  const opening = (handover.opening ??= gateOpen(gate()));
  // The failure below is nodemailer's to report (it listens once it sends): never an unhandled error here.
  stream.on('error', () => undefined);
  void opening.then((open) => {
    if (open) return;
    handover.cancelled = true;
    (stream as NodeJS.ReadableStream & { destroy(error?: Error): void }).destroy(new SendCancelled());
  });
  const pipe = stream.pipe.bind(stream);
  stream.pipe = <T extends NodeJS.WritableStream>(destination: T, options?: { end?: boolean }): T => {
    void opening.then((open) => {
      if (open) pipe(destination, options);
    });
    return destination;
  };
}

function toMail(email: RenderedEmail) {
  return {
    from: email.from,
    to: email.to,
    subject: email.subject,
    text: email.text,
    html: email.html,
    messageId: email.messageId,
    replyTo: email.replyTo,
    headers: email.headers,
    envelope: envelopeOf(email),
  };
}

/**
 * One recipient per message; nothing a name or message contains can reach the envelope, whose
 * domain is in its IDNA ASCII form (no SMTPUTF8 needed for an international domain).
 */
function envelopeOf(email: RenderedEmail) {
  return { from: email.from.address, to: [address(email.to).ascii] };
}

/** What close() touches of a nodemailer pool resource (an SMTP connection it keeps). */
interface PoolResource {
  available: boolean;
  _closed: boolean;
  queueEntry: unknown;
  connection?: { quit(): void; close(): void };
}

export interface SmtpMailerOptions {
  maxConnections: number;
  /** Per-socket timeouts, ms. */
  connectionTimeout?: number;
  greetingTimeout?: number;
  socketTimeout?: number;
}

export class SmtpMailer implements Mailer {
  readonly kind = 'smtp' as const;
  readonly description: string;
  readonly queuesAhead = true;
  private transporter?: Promise<Transporter>;
  private composer?: Promise<typeof import('./mime.js')>;

  constructor(
    private readonly config: SmtpConfig,
    private readonly options: SmtpMailerOptions,
  ) {
    this.description = describeSmtp(config);
  }

  private transport(): Promise<Transporter> {
    this.transporter ??= nodemailer().then((nm) =>
      trackHandover(nm.createTransport({
        pool: true,
        host: this.config.host,
        port: this.config.port,
        secure: this.config.secure,
        requireTLS: this.config.requireTLS,
        tls: { rejectUnauthorized: this.config.rejectUnauthorized, ca: this.config.ca },
        name: this.config.name,
        auth: this.config.user ? { user: this.config.user, pass: this.config.pass ?? '' } : undefined,
        maxConnections: this.options.maxConnections,
        maxMessages: Infinity,
        // Never let the pool resend a message on its own after a dropped connection: the
        // delivery layer decides, because the message may already have been handed over.
        maxRequeues: 0,
        connectionTimeout: this.options.connectionTimeout ?? 10_000,
        greetingTimeout: this.options.greetingTimeout ?? this.options.connectionTimeout ?? 10_000,
        socketTimeout: this.options.socketTimeout ?? 30_000,
        disableFileAccess: true,
        disableUrlAccess: true,
      })),
    );
    return this.transporter;
  }

  /**
   * Each message notes when its last byte has gone to the server (its stream's end): a
   * connection lost after that is a hand-over in doubt, before it nothing was delivered.
   */
  async send(email: RenderedEmail, _fileStem?: string, gate?: Gate): Promise<SendReceipt> {
    const transporter = await this.transport();
    const { composeInvite } = await (this.composer ??= import('./mime.js'));
    const handover: Handover = { done: false, gate };
    try {
      // The message composed here (see composeInvite), the envelope given: nodemailer sends it as is.
      const raw = composeInvite(email);
      // The Message-ID given too: nodemailer would otherwise make one (unused) for its records.
      const info = await transporter.sendMail({ envelope: envelopeOf(email), raw, messageId: email.messageId, handover } as Parameters<Transporter['sendMail']>[0]);
      return { response: String(info.response ?? 'accepted') };
    } catch (error) {
      // Closed gate: whatever nodemailer made of it (the stream's error, the connection's end).
      if (error instanceof SendCancelled || handover.cancelled) throw new SendCancelled();
      const explained = await explainSmtpError(error, this.config);
      throw Object.assign(explained as Error, { dataHandedOver: handover.done });
    }
  }

  async verify(): Promise<void> {
    const transporter = await this.transport();
    try {
      await transporter.verify();
    } catch (error) {
      throw await explainSmtpError(error, this.config);
    }
  }

  /**
   * Says QUIT on every idle connection (a mail admin's log then shows a clean end) and closes
   * the pool; a server that does not answer the QUIT within 2 s is hung up on.
   */
  close(): void {
    void this.transporter?.then((t) => {
      // nodemailer's pool closes its connections without QUIT: its resources are reached here.
      const pool = (t as unknown as { transporter?: { _connections?: PoolResource[] } }).transporter;
      // Idle: no message in flight (a resource turns `available` only a tick after its send ends).
      const idle = (pool?._connections ?? []).filter((r) => r.connection && !r.queueEntry);
      for (const resource of idle) {
        // Closed for the pool: it is never handed another message, nor closed again under the QUIT.
        resource._closed = true;
        resource.available = false;
        resource.connection?.quit();
      }
      t.close();
      if (idle.length) {
        setTimeout(() => {
          for (const resource of idle) resource.connection?.close();
        }, 2000).unref();
      }
    });
  }
}

/** Errors that mean the folder itself is unusable: every other message would fail the same way. */
const FOLDER_WIDE_CODES = new Set(['EACCES', 'EPERM', 'EROFS', 'ENOENT', 'ENOTDIR', 'ELOOP', 'EXDEV', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS']);

const NO_ROOM_CODES = new Set(['ENOSPC', 'EDQUOT']);

/** The outbox folder cannot be used: stops the run (classified fatal), the messages stay queued. */
function folderError(message: string): Error {
  return Object.assign(new Error(message), { code: 'ECONFIG' });
}

/**
 * Writes each message as `<stem>.eml` (mode 0600) into a folder beside the database (0700,
 * never a symbolic link). A file is never overwritten: a name already taken fails that message.
 */
export class FolderMailer implements Mailer {
  readonly kind = 'folder' as const;
  readonly description: string;
  private composer?: Promise<Transporter>;
  private folderChecked = false;

  constructor(
    readonly folder: string,
    private readonly notice?: (line: string) => void,
  ) {
    this.description = `outbox folder ${folder}`;
  }

  private compose(): Promise<Transporter> {
    this.composer ??= nodemailer().then((nm) =>
      nm.createTransport({ streamTransport: true, buffer: true, newline: 'unix', disableFileAccess: true, disableUrlAccess: true }),
    );
    return this.composer;
  }

  /** Creates the folder (0700) or checks the one there: a real folder, private, writable. */
  private checkFolder(): void {
    const folder = this.folder;
    let stat: fs.Stats;
    try {
      stat = fs.lstatSync(folder);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw folderError(`cannot use the outbox folder ${folder}: ${errorCode(error)}`);
      try {
        fs.mkdirSync(folder, { mode: 0o700 });
        stat = fs.lstatSync(folder);
      } catch (error) {
        throw folderError(`cannot create the outbox folder ${folder}: ${errorCode(error)}`);
      }
    }
    if (stat.isSymbolicLink()) throw folderError(`the outbox folder ${folder} is a symbolic link: refusing to write through it`);
    if (!stat.isDirectory()) throw folderError(`the outbox folder ${folder} is not a folder`);
    const mode = stat.mode & 0o777;
    if (mode & 0o077) {
      // Through a descriptor opened without following links: the folder checked is the one changed.
      let fd: number | undefined;
      try {
        fd = fs.openSync(folder, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY | fs.constants.O_NOFOLLOW);
        fs.fchmodSync(fd, 0o700);
      } catch (error) {
        throw folderError(`cannot fix the permissions of the outbox folder ${folder}: ${errorCode(error)}`);
      } finally {
        if (fd !== undefined) fs.closeSync(fd);
      }
      this.notice?.(`fixed permissions of ${folder}: ${mode.toString(8).padStart(4, '0')} → 0700`);
    }
    try {
      fs.accessSync(folder, fs.constants.W_OK);
    } catch (error) {
      throw folderError(`the outbox folder ${folder} is not writable: ${errorCode(error)}`);
    }
  }

  async send(email: RenderedEmail, fileStem: string, gate?: Gate): Promise<SendReceipt> {
    await passGate(gate);
    if (!this.folderChecked) {
      this.checkFolder();
      this.folderChecked = true;
    }
    const transporter = await this.compose();
    const info = (await transporter.sendMail(toMail(email))) as { message: Buffer };
    const target = path.join(this.folder, `${fileStem}.eml`);
    // Written under a temporary name, then linked into place: a reader never sees half a
    // message, and unlike rename() a link never replaces a file that is already there.
    const temp = path.join(this.folder, `.${fileStem}.${randomBytes(6).toString('hex')}.tmp`);
    let created = false;
    try {
      const fd = fs.openSync(temp, 'wx', 0o600);
      created = true;
      try {
        fs.writeFileSync(fd, info.message);
      } finally {
        fs.closeSync(fd);
      }
      fs.linkSync(temp, target);
    } catch (error) {
      const code = errorCode(error);
      if (FOLDER_WIDE_CODES.has(code)) throw folderError(`cannot write to the outbox folder ${this.folder}: ${code}`);
      // A full disk fails every message alike: the run stops, they stay queued for a later flush.
      if (NO_ROOM_CODES.has(code)) throw folderError(`no room left in the outbox folder ${this.folder} (${code}): free some space, then run \`cerby-guests outbox flush\``);
      // Only this message is affected (name taken, I/O error…): it fails, the run goes on.
      throw Object.assign(new Error(`cannot write the .eml file ${target}: ${code}`), { code: 'EMESSAGEFILE' });
    } finally {
      if (created) {
        try {
          fs.unlinkSync(temp);
        } catch {
          // Linked already, or gone: nothing more to clean up.
        }
      }
    }
    return { response: `written to ${target}`, filePath: target };
  }

  verify(): Promise<void> {
    this.checkFolder();
    this.folderChecked = true;
    return Promise.resolve();
  }

  close(): void {}
}

function errorCode(error: unknown): string {
  return (error as NodeJS.ErrnoException).code ?? String(error);
}

export function outboxFolderFor(dbPath: string): string {
  const parsed = path.parse(path.resolve(dbPath));
  return path.join(parsed.dir, `${parsed.name}.outbox`);
}

/** The readable part of a file name: at most this many characters (ASCII, so as many bytes). */
const READABLE_MAX = 100;

/**
 * `.eml` file stem: the outbox id (unique, so no two messages share a file), then the recipient's
 * canonical form (address.ts: NFC, lower-case, IDNA domain) made filesystem-safe and short, e.g.
 * `000123-o_brien@xn--bcher-kva.example`. Whatever the address, the name stays far below 255 bytes.
 */
export function fileStemFor(recipient: string, outboxId: number): string {
  const readable = addressKey(recipient).replace(/[^a-z0-9@._+-]/g, '_').slice(0, READABLE_MAX);
  return `${String(outboxId).padStart(6, '0')}-${readable}`;
}
