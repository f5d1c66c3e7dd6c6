import type { IO } from '../deps.js';

export interface Progress {
  /** `text` is called only when a frame is drawn: formatting numbers per row would cost more than the row. */
  update(done: number, text: () => string, fraction?: () => number | undefined): void;
  finish(): void;
}

const FRAME_MS = 100;
const BAR_WIDTH = 24;

/**
 * A one-line progress bar on stderr when it is a terminal; nothing at all when piped,
 * so logs and CI output never fill with carriage returns.
 */
export function createProgress(ctx: { io: IO }, clock: () => number): Progress {
  if (!ctx.io.stderrIsTTY) return { update() {}, finish() {} };
  const started = clock();
  let last = 0;
  let calls = 0;
  let drawn = false;
  return {
    update(done, text, fraction) {
      // Look at the clock every 64 calls only: a bulk run calls this once per row.
      if ((++calls & 63) !== 0) return;
      const now = clock();
      if (now - last < FRAME_MS) return;
      last = now;
      const seconds = Math.max((now - started) / 1000, 0.001);
      const rate = Math.round(done / seconds);
      let bar = '';
      const part = fraction?.();
      if (part !== undefined) {
        const clamped = Math.min(Math.max(part, 0), 1);
        const filled = Math.round(clamped * BAR_WIDTH);
        bar = `[${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}] ${Math.floor(clamped * 100)}% `;
      }
      ctx.io.stderr.write(`\r\u001b[K${bar}${text()} · ${rate.toLocaleString('en-US')}/s`);
      drawn = true;
    },
    finish() {
      if (drawn) ctx.io.stderr.write('\r\u001b[K');
    },
  };
}
