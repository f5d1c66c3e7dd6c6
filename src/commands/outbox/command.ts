import { Command, InvalidArgumentError } from 'commander';
import { outputFormat, printRows } from '../../output/print.js';
import type { AppFactory } from '../types.js';
import { runOutboxFlush, runOutboxList } from './run.js';

export function parsePositiveInt(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > 64) throw new InvalidArgumentError('expected a whole number from 1 to 64');
  return n;
}

export function outboxCommand(makeApp: AppFactory): Command {
  const outbox = new Command('outbox').description('invite emails: queued, sent, failed and unknown; send what is due');
  outbox
    .command('list', { isDefault: true })
    .description('counts by state, then the messages')
    .option('--state <state>', 'only messages in this state: queued, sending, sent, failed, unknown')
    .action((opts: { state?: string }, command: Command) => {
      const app = makeApp(command);
      const listing = runOutboxList(opts, app);
      if (app.json) {
        app.io.stdout.write(`${JSON.stringify(listing, null, 2)}\n`);
        return;
      }
      app.info(
        Object.entries(listing.counts)
          .map(([state, n]) => `${state} ${n}`)
          .join(', '),
      );
      printRows(
        app,
        listing.messages,
        [
          { key: 'recipient', header: 'TO' },
          { key: 'sendNumber', header: 'SEND' },
          { key: 'state', header: 'STATE' },
          { key: 'attempts', header: 'ATTEMPTS' },
          { key: 'sentAt', header: 'SENT' },
          { key: 'lastError', header: 'LAST ERROR' },
          { key: 'messageId', header: 'MESSAGE-ID', terminal: false },
        ],
        outputFormat(app),
      );
    });
  outbox
    .command('flush')
    .description('send every message that is due')
    .option('--retry-unknown', 'also resend messages whose delivery is unknown (same Message-ID)')
    .option('--concurrency <n>', 'SMTP connections', parsePositiveInt, 4)
    .action(async (opts: { retryUnknown?: boolean; concurrency: number }, command: Command) => {
      const app = makeApp(command);
      const report = await runOutboxFlush(opts, app);
      if (app.json) app.io.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      if (report.releasedLeases) {
        app.warn(`${report.releasedLeases} message(s) were taken by a stopped process before it sent them: back in the queue`);
      }
      if (report.recoveredLeases) {
        app.warn(`${report.recoveredLeases} message(s) were left mid-send by a stopped process: marked unknown (see --retry-unknown)`);
      }
      for (const r of report.results) {
        if (r.outcome === 'sent') app.success(`Invite sent to ${r.recipient}${r.filePath ? ` (${r.filePath})` : ''}`);
        else if (r.outcome === 'skipped') app.info(`${app.colorErr.yellow('-')} ${r.recipient}: ${r.detail}`);
        else app.io.stderr.write(`${app.colorErr.red('✗')} ${r.recipient}: ${r.outcome}: ${r.detail}\n`);
      }
      if (report.results.length === 0) app.info('nothing is due');
      // Skipped (another process has it, or the guest changed) is not a failure of this run.
      app.exitCode = report.results.every((r) => r.outcome === 'sent' || r.outcome === 'skipped') ? 0 : 1;
    });
  return outbox;
}
