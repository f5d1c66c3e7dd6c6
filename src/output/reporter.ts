import type { Writable } from 'node:stream';
import type { ChalkInstance } from 'chalk';

/**
 * The lines a person reads on stderr: ✓ done, ! warning, - skipped, · would / detail, ✗ failed,
 * and plain information. One place decides their symbols and colours.
 */
export class Reporter {
  constructor(
    private readonly stream: Writable,
    private readonly color: ChalkInstance,
  ) {}

  /** The terminal's version of the web app's success box. */
  success(line: string): void {
    this.write(`${this.color.green('✓')} ${line}`);
  }

  warn(line: string): void {
    this.write(`${this.color.yellow('!')} ${line}`);
  }

  skipped(line: string): void {
    this.write(`${this.color.yellow('-')} ${line}`);
  }

  /** What a dry run would do. */
  would(line: string): void {
    this.write(`${this.color.cyan('·')} ${line}`);
  }

  /** A --verbose detail line. */
  detail(line: string): void {
    this.write(`${this.color.dim('·')} ${line}`);
  }

  failed(line: string): void {
    this.write(`${this.color.red('✗')} ${line}`);
  }

  info(line: string): void {
    this.write(line);
  }

  private write(line: string): void {
    this.stream.write(`${line}\n`);
  }
}
