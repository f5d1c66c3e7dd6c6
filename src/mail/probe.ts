import net from 'node:net';
import tls from 'node:tls';
import { describeSmtp, type SmtpConfig } from './smtp-config.js';
import { explainSmtpError } from './smtp-errors.js';

/**
 * `doctor`'s look at an SMTP server: what a send needs, step by step, and no more. Connect
 * (and TLS), AUTH, then `MAIL FROM` the workspace sender (and `RCPT TO` one address when
 * asked) followed by `RSET`: a refused relay or sender shows here, and no message is ever
 * sent (no DATA). Ends with QUIT. A small client of its own because it must stop where
 * nodemailer would go on to DATA, and read the certificate the server showed.
 */

export interface ProbeStep {
  check: 'smtp connect' | 'smtp tls' | 'smtp auth' | 'smtp sender' | 'smtp recipient';
  ok: boolean;
  detail: string;
}

interface Reply {
  code: number;
  lines: string[];
}

class SmtpDialogue {
  private buffer = '';
  private waiting?: { resolve: (reply: Reply) => void; reject: (error: Error) => void };
  private pending: Reply[] = [];
  private failure?: Error;
  private partial: string[] = [];

  constructor(
    public socket: net.Socket,
    private readonly timeoutMs: number,
  ) {
    this.attach(socket);
  }

  attach(socket: net.Socket): void {
    this.socket = socket;
    this.buffer = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => this.read(chunk));
    socket.on('error', (error) => this.fail(error));
    socket.on('close', () => this.fail(Object.assign(new Error('the server closed the connection'), { code: 'ECONNECTION' })));
  }

  private read(chunk: string): void {
    this.buffer += chunk;
    if (this.buffer.length > 64 * 1024) return this.fail(new Error('reply too long'));
    let end: number;
    while ((end = this.buffer.indexOf('\n')) !== -1) {
      const line = this.buffer.slice(0, end).replace(/\r$/, '');
      this.buffer = this.buffer.slice(end + 1);
      this.partial.push(line.slice(4));
      // "250-…" continues, "250 …" ends a reply.
      if (line[3] !== '-') {
        const reply = { code: Number(line.slice(0, 3)), lines: this.partial };
        this.partial = [];
        if (this.waiting) {
          const waiting = this.waiting;
          this.waiting = undefined;
          waiting.resolve(reply);
        } else this.pending.push(reply);
      }
    }
  }

  private fail(error: Error): void {
    this.failure ??= error;
    const waiting = this.waiting;
    this.waiting = undefined;
    waiting?.reject(this.failure);
  }

  /** The next reply, within the time limit. */
  reply(what: string, timeoutMs = this.timeoutMs): Promise<Reply> {
    const ready = this.pending.shift();
    if (ready) return Promise.resolve(ready);
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting = undefined;
        // nodemailer's words for a missing greeting: explainSmtpError then tries TLS on the port.
        const message = what === 'the greeting' ? `Greeting never received (within ${timeoutMs / 1000} s)` : `no answer to ${what} within ${timeoutMs / 1000} s`;
        reject(Object.assign(new Error(message), { code: 'ETIMEDOUT' }));
      }, timeoutMs);
      this.waiting = {
        resolve: (reply) => {
          clearTimeout(timer);
          resolve(reply);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
    });
  }

  async command(line: string, shown = line): Promise<Reply> {
    this.socket.write(`${line}\r\n`);
    return this.reply(shown);
  }

  /** Stops reading this socket (before STARTTLS hands it to TLS). */
  detach(): void {
    this.socket.removeAllListeners('data');
    this.socket.removeAllListeners('error');
    this.socket.removeAllListeners('close');
  }
}

const text = (reply: Reply) => `${reply.code} ${reply.lines.join(' ')}`.trim().slice(0, 300);

function connect(config: SmtpConfig, timeoutMs: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const options = { host: config.host, port: config.port };
    const socket = config.secure
      ? tls.connect({ ...options, ca: config.ca, rejectUnauthorized: config.rejectUnauthorized, servername: net.isIP(config.host) ? undefined : config.host })
      : net.connect(options);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(Object.assign(new Error(`no connection within ${timeoutMs / 1000} s`), { code: 'ETIMEDOUT' }));
    }, timeoutMs);
    socket.once(config.secure ? 'secureConnect' : 'connect', () => {
      clearTimeout(timer);
      resolve(socket);
    });
    socket.once('error', (error: Error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

function upgrade(socket: net.Socket, config: SmtpConfig, timeoutMs: number): Promise<tls.TLSSocket> {
  return new Promise((resolve, reject) => {
    const secure = tls.connect({ socket, ca: config.ca, rejectUnauthorized: config.rejectUnauthorized, servername: net.isIP(config.host) ? undefined : config.host });
    const timer = setTimeout(() => {
      secure.destroy();
      reject(Object.assign(new Error(`no TLS handshake within ${timeoutMs / 1000} s`), { code: 'ETIMEDOUT' }));
    }, timeoutMs);
    secure.once('secureConnect', () => {
      clearTimeout(timer);
      resolve(secure);
    });
    secure.once('error', (error: Error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

/** The certificate the server showed: subject, issuer and days to expiry. */
function describeCertificate(socket: tls.TLSSocket, now: Date): { ok: boolean; detail: string } {
  const cert = socket.getPeerCertificate();
  const name = (entity: Record<string, string | string[]> | undefined) => {
    const cn = entity?.CN;
    return (Array.isArray(cn) ? cn[0] : cn) ?? JSON.stringify(entity ?? {});
  };
  const days = Math.floor((new Date(cert.valid_to).getTime() - now.getTime()) / 86_400_000);
  const protocol = socket.getProtocol() ?? 'TLS';
  return {
    ok: days >= 0,
    detail: `${protocol}, certificate ${name(cert.subject as unknown as Record<string, string>)} issued by ${name(cert.issuer as unknown as Record<string, string>)}, ${days >= 0 ? `expires in ${days} day(s)` : `expired ${-days} day(s) ago`}`,
  };
}

function extensions(reply: Reply): Set<string> {
  return new Set(reply.lines.slice(1).map((l) => l.toUpperCase()));
}

function authMethods(ext: Set<string>): string[] {
  for (const line of ext) if (line.startsWith('AUTH ') || line.startsWith('AUTH=')) return line.slice(5).split(/\s+/);
  return [];
}

/**
 * Runs the checks in order; a failed one ends the probe (what follows it cannot be tried).
 * `sender` is the workspace sender (ASCII), `recipient` the address given with `--to`, or the workspace owner.
 */
export async function probeSmtp(config: SmtpConfig, options: { sender: string; recipient?: string; recipientIsDefault?: boolean; now: () => Date; timeoutMs?: number }): Promise<ProbeStep[]> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const where = describeSmtp(config);
  const steps: ProbeStep[] = [];
  let dialogue: SmtpDialogue | undefined;
  const failed = async (check: ProbeStep['check'], error: unknown) => {
    const explained = (await explainSmtpError(error, config)) as { message?: string };
    steps.push({ check, ok: false, detail: `${where}: ${(explained.message ?? String(error)).replace(/\s+/g, ' ').slice(0, 300)}` });
    return steps;
  };
  try {
    let socket: net.Socket;
    try {
      socket = await connect(config, timeoutMs);
      dialogue = new SmtpDialogue(socket, timeoutMs);
      // A few seconds, then a TLS probe of the port (implicit TLS?): under 10 s in all.
      const greeting = await dialogue.reply('the greeting', Math.min(timeoutMs, 6000));
      if (greeting.code !== 220) return await failed('smtp connect', new Error(`greeting ${text(greeting)}`));
    } catch (error) {
      return await failed('smtp connect', error);
    }
    const helo = config.name ?? 'localhost';
    let ehlo = await dialogue.command(`EHLO ${helo}`);
    if (ehlo.code !== 250) return await failed('smtp connect', new Error(`EHLO ${helo}: ${text(ehlo)}`));
    steps.push({ check: 'smtp connect', ok: true, detail: `${where}: ${text({ code: 220, lines: [ehlo.lines[0] ?? ''] })} (EHLO ${helo})` });

    // TLS: implicit, or STARTTLS when offered (required unless the URL allows plain to this host).
    let ext = extensions(ehlo);
    if (socket instanceof tls.TLSSocket) {
      const cert = describeCertificate(socket, options.now());
      steps.push({ check: 'smtp tls', ...cert });
    } else if (ext.has('STARTTLS')) {
      const go = await dialogue.command('STARTTLS');
      if (go.code !== 220) return await failed('smtp tls', new Error(`STARTTLS: ${text(go)}`));
      dialogue.detach();
      let secure: tls.TLSSocket;
      try {
        secure = await upgrade(socket, config, timeoutMs);
      } catch (error) {
        return await failed('smtp tls', error);
      }
      dialogue.attach(secure);
      socket = secure;
      steps.push({ check: 'smtp tls', ...describeCertificate(secure, options.now()) });
      ehlo = await dialogue.command(`EHLO ${helo}`);
      ext = extensions(ehlo);
    } else if (config.requireTLS) {
      return await failed('smtp tls', new Error('the server offers no STARTTLS, and TLS is required for a host that is not this machine (add ?requireTLS=false to the URL to allow plain SMTP)'));
    } else {
      steps.push({ check: 'smtp tls', ok: true, detail: `${where}: not used (plain SMTP to this machine)` });
    }

    // AUTH as configured.
    if (config.user) {
      const methods = authMethods(ext);
      let reply: Reply;
      if (methods.includes('PLAIN')) {
        reply = await dialogue.command(`AUTH PLAIN ${Buffer.from(`\0${config.user}\0${config.pass ?? ''}`).toString('base64')}`, 'AUTH PLAIN');
      } else if (methods.includes('LOGIN')) {
        reply = await dialogue.command('AUTH LOGIN');
        if (reply.code === 334) reply = await dialogue.command(Buffer.from(config.user).toString('base64'), 'the username');
        if (reply.code === 334) reply = await dialogue.command(Buffer.from(config.pass ?? '').toString('base64'), 'the password');
      } else {
        return await failed('smtp auth', new Error(`the server offers no AUTH PLAIN or LOGIN${methods.length ? ` (only ${methods.join(', ')})` : ''}${socket instanceof tls.TLSSocket ? '' : ' over plain SMTP'}`));
      }
      if (reply.code !== 235) return await failed('smtp auth', new Error(`as ${config.user}: ${text(reply)}`));
      steps.push({ check: 'smtp auth', ok: true, detail: `${where}: authenticated as ${config.user}` });
    } else {
      steps.push({ check: 'smtp auth', ok: true, detail: `${where}: none configured${authMethods(ext).length ? ' (the server offers AUTH: add user@ to the URL and --smtp-password-file if it needs it)' : ''}` });
    }

    // The sender (and a recipient): refused here means a send would be refused; RSET, never DATA.
    const mail = await dialogue.command(`MAIL FROM:<${options.sender}>`);
    if (mail.code !== 250) return await failed('smtp sender', new Error(`MAIL FROM:<${options.sender}> refused: ${text(mail)}`));
    steps.push({ check: 'smtp sender', ok: true, detail: `MAIL FROM:<${options.sender}> accepted${options.recipient ? '' : ' (give --to ADDRESS to check a recipient too: many servers refuse only at RCPT)'}` });
    if (options.recipient) {
      const rcpt = await dialogue.command(`RCPT TO:<${options.recipient}>`);
      if (rcpt.code !== 250 && rcpt.code !== 251) return await failed('smtp recipient', new Error(`RCPT TO:<${options.recipient}> refused: ${text(rcpt)}`));
      const which = options.recipientIsDefault ? 'the workspace owner; --to ADDRESS checks another; ' : '';
      steps.push({ check: 'smtp recipient', ok: true, detail: `RCPT TO:<${options.recipient}> accepted (${which}nothing was sent: RSET)` });
    }
    await dialogue.command('RSET');
    await dialogue.command('QUIT').catch(() => undefined);
    return steps;
  } catch (error) {
    const check = (['smtp connect', 'smtp tls', 'smtp auth', 'smtp sender', 'smtp recipient'] as const)[steps.length] ?? 'smtp sender';
    return await failed(check, error);
  } finally {
    dialogue?.socket.destroy();
  }
}
