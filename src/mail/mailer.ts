import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Transform } from 'node:stream';
import { address } from '../address.js';
import type { RenderedEmail } from '../email/render.js';
import { describeSmtp, type SmtpConfig } from './smtp-config.js';

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
  /** `fileStem` names the `.eml` file in folder mode. */
  send(email: RenderedEmail, fileStem: string): Promise<SendReceipt>;
  verify(): Promise<void>;
  close(): void;
}

type Transporter = import('nodemailer').Transporter;

// nodemailer is loaded only when mail is sent: `--version` and `list` do not pay for it.
async function nodemailer(): Promise<typeof import('nodemailer')> {
  return import('nodemailer');
}

/** Marks `mail.data.handover.done` once the whole message has streamed out. */
function trackHandover(transporter: Transporter): Transporter {
  transporter.use('stream', (mail, callback) => {
    const handover = (mail.data as { handover?: { done: boolean } }).handover;
    if (handover) {
      mail.message.transform(
        () =>
          new Transform({
            transform(chunk, _encoding, done) {
              done(null, chunk);
            },
            flush(done) {
              handover.done = true;
              done();
            },
          }),
      );
    }
    callback();
  });
  return transporter;
}

function toMail(email: RenderedEmail) {
  return {
    from: email.from,
    to: email.to,
    subject: email.subject,
    text: email.text,
    html: email.html,
    messageId: email.messageId,
    // One recipient per message; nothing a name or message contains can reach the envelope,
    // whose domain is in its IDNA ASCII form (no SMTPUTF8 needed for an international domain).
    envelope: { from: email.from.address, to: [address(email.to).ascii] },
  };
}

export interface SmtpMailerOptions {
  maxConnections: number;
  /** Per-socket timeouts, ms. */
  connectionTimeout?: number;
  socketTimeout?: number;
}

export class SmtpMailer implements Mailer {
  readonly kind = 'smtp' as const;
  readonly description: string;
  private transporter?: Promise<Transporter>;

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
        tls: { rejectUnauthorized: this.config.rejectUnauthorized },
        auth: this.config.user ? { user: this.config.user, pass: this.config.pass ?? '' } : undefined,
        maxConnections: this.options.maxConnections,
        maxMessages: Infinity,
        // Never let the pool resend a message on its own after a dropped connection: the
        // delivery layer decides, because the message may already have been handed over.
        maxRequeues: 0,
        connectionTimeout: this.options.connectionTimeout ?? 10_000,
        greetingTimeout: this.options.connectionTimeout ?? 10_000,
        socketTimeout: this.options.socketTimeout ?? 30_000,
        disableFileAccess: true,
        disableUrlAccess: true,
      })),
    );
    return this.transporter;
  }

  /**
   * Each message notes when its last byte has gone to the server (a pass-through on its stream):
   * a connection lost after that is a hand-over in doubt, before it nothing was delivered.
   */
  async send(email: RenderedEmail): Promise<SendReceipt> {
    const transporter = await this.transport();
    const handover = { done: false };
    try {
      const info = await transporter.sendMail({ ...toMail(email), handover } as Parameters<Transporter['sendMail']>[0]);
      return { response: String(info.response ?? 'accepted') };
    } catch (error) {
      throw Object.assign(error as Error, { dataHandedOver: handover.done });
    }
  }

  async verify(): Promise<void> {
    const transporter = await this.transport();
    await transporter.verify();
  }

  close(): void {
    // A pooled transporter keeps sockets open: close it so the process exits when the work is done.
    void this.transporter?.then((t) => t.close());
  }
}

/** Writes each message as `<stem>.eml` (mode 0600) into a folder beside the database. */
export class FolderMailer implements Mailer {
  readonly kind = 'folder' as const;
  readonly description: string;
  private composer?: Promise<Transporter>;

  constructor(readonly folder: string) {
    this.description = `outbox folder ${folder}`;
  }

  private compose(): Promise<Transporter> {
    this.composer ??= nodemailer().then((nm) =>
      nm.createTransport({ streamTransport: true, buffer: true, newline: 'unix', disableFileAccess: true, disableUrlAccess: true }),
    );
    return this.composer;
  }

  async send(email: RenderedEmail, fileStem: string): Promise<SendReceipt> {
    const transporter = await this.compose();
    const info = (await transporter.sendMail(toMail(email))) as { message: Buffer };
    const target = path.join(this.folder, `${fileStem}.eml`);
    try {
      fs.mkdirSync(this.folder, { recursive: true, mode: 0o700 });
      // Write then rename: a reader never sees half a message.
      const temp = `${target}.${randomBytes(6).toString('hex')}.tmp`;
      fs.writeFileSync(temp, info.message, { mode: 0o600, flag: 'wx' });
      fs.renameSync(temp, target);
    } catch (error) {
      // A folder we cannot write stops the run: every other message would fail the same way.
      throw Object.assign(new Error(`cannot write to the outbox folder ${this.folder}: ${(error as NodeJS.ErrnoException).code ?? error}`), { code: 'ECONFIG' });
    }
    return { response: `written to ${target}`, filePath: target };
  }

  async verify(): Promise<void> {
    fs.mkdirSync(this.folder, { recursive: true, mode: 0o700 });
    fs.accessSync(this.folder, fs.constants.W_OK);
  }

  close(): void {}
}

export function outboxFolderFor(dbPath: string): string {
  const parsed = path.parse(path.resolve(dbPath));
  return path.join(parsed.dir, `${parsed.name}.outbox`);
}

/** `.eml` file stem: the recipient (made filesystem-safe) and the send number. */
export function fileStemFor(recipient: string, sendNumber: number): string {
  return `${recipient.toLowerCase().replace(/[^a-z0-9@._+-]/g, '_')}-${sendNumber}`;
}
