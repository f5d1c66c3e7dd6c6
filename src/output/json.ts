import type { Writable } from 'node:stream';

/** JSON on stdout: indented for a person at a terminal, one compact line for a pipe (like gh). */
export function writeJson(stdout: Writable, isTTY: boolean, value: unknown): void {
  stdout.write(`${isTTY ? JSON.stringify(value, null, 2) : JSON.stringify(value)}\n`);
}

/**
 * One JSON object whose `results` array is written item by item as a run produces them, and
 * whose other fields follow at the end: a million rows never sit in memory as one value. The
 * document is the same object `writeJson` would print, with `results` first.
 */
export class JsonResultsWriter {
  private started = false;
  private first = true;
  private chunk = '';

  constructor(
    private readonly stdout: Writable,
    private readonly isTTY: boolean,
  ) {}

  item(value: unknown): void {
    this.start();
    this.chunk += `${this.first ? '' : ','}\n${this.isTTY ? '    ' : ''}${JSON.stringify(value)}`;
    this.first = false;
    if (this.chunk.length > 65536) this.flush();
  }

  /** Closes `results` and writes the other fields. */
  end(rest: Record<string, unknown>): void {
    this.start();
    const fields = Object.entries(rest)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${JSON.stringify(k)}:${this.isTTY ? ' ' : ''}${this.isTTY ? JSON.stringify(v, null, 2).replace(/\n/g, '\n  ') : JSON.stringify(v)}`);
    this.chunk += `${this.first ? '' : `\n${this.isTTY ? '  ' : ''}`}]${fields.map((f) => `,${this.isTTY ? '\n  ' : ''}${f}`).join('')}${this.isTTY ? '\n' : ''}}\n`;
    this.flush();
  }

  private start(): void {
    if (this.started) return;
    this.started = true;
    this.chunk += `{${this.isTTY ? '\n  ' : ''}"results":${this.isTTY ? ' ' : ''}[`;
  }

  private flush(): void {
    if (this.chunk) this.stdout.write(this.chunk);
    this.chunk = '';
  }
}
