import { Command } from '@commander-js/extra-typings';
import { intBetween, oneOf } from '../../cli/args.js';
import type { Factory } from '../../factory.js';
import { present, type View } from '../../output/present.js';
import { OUTBOX_STATES } from '../../state/outbox.js';
import { runOutboxFlush, runOutboxList, type FlushReport, type OutboxListing } from './run.js';

const listView: View<OutboxListing> = {
  report(listing, reporter) {
    reporter.info(
      Object.entries(listing.counts)
        .map(([state, n]) => `${state} ${n}`)
        .join(', '),
    );
  },
  print(listing, out) {
    // Only a queued message has a next try.
    const rows = listing.messages.map((m) => ({ ...m, nextTry: m.state === 'queued' ? m.nextAttemptAt : null }));
    out.rows(
      rows,
      [
        { key: 'recipient', header: 'TO', shrink: 'last' },
        { key: 'sendNumber', header: 'SEND' },
        { key: 'state', header: 'STATE' },
        { key: 'attempts', header: 'ATTEMPTS' },
        { key: 'sentAt', header: 'SENT', time: true },
        { key: 'nextTry', header: 'NEXT TRY', time: true },
        { key: 'lastError', header: 'LAST ERROR', shrink: 'first' },
        { key: 'messageId', header: 'MESSAGE-ID', terminal: false },
      ],
      { empty: 'no emails yet: they are recorded by `invite` and `resend`' },
    );
  },
};

const flushView: View<FlushReport> = {
  report(report, reporter) {
    if (report.releasedLeases) reporter.warn(`${report.releasedLeases} message(s) were taken by a stopped process before it sent them: back in the queue`);
    if (report.recoveredLeases) {
      reporter.warn(`${report.recoveredLeases} message(s) were left mid-send by a stopped process: marked unknown (see --retry-unknown)`);
    }
    for (const r of report.results) {
      if (r.outcome === 'sent') reporter.success(`Invite sent to ${r.recipient}${r.filePath ? ` (${r.filePath})` : ''}`);
      else if (r.outcome === 'skipped') reporter.skipped(`${r.recipient}: ${r.detail}`);
      else reporter.failed(`${r.recipient}: ${r.outcome}: ${r.detail}`);
    }
    if (report.results.length === 0) reporter.info('nothing is due');
    if (report.waiting.count > 0 && report.waiting.next) {
      reporter.info(`${report.waiting.count} message(s) wait to be retried, the first at ${report.waiting.next}`);
    }
  },
};

export function newCmdOutbox(f: Factory, runF = { list: runOutboxList, flush: runOutboxFlush }) {
  const outbox = new Command('outbox')
    .description('invite emails: queued, sent, failed and unknown; send what is due')
    .addHelpText('after', '\nExamples:\n  $ cerby-guests outbox\n  $ cerby-guests outbox flush');
  outbox
    .command('list', { isDefault: true })
    .description('counts by state, then the messages')
    .addHelpText('after', '\nExample:\n  $ cerby-guests outbox list --state failed')
    .option('--state <state>', `only messages in this state: ${OUTBOX_STATES.join(', ')}`, oneOf(OUTBOX_STATES))
    .action((flags) => present(f, runF.list({ state: flags.state }, f), listView));
  outbox
    .command('flush')
    .description('send every message that is due')
    .addHelpText('after', '\nExamples:\n  $ cerby-guests outbox flush\n  $ cerby-guests outbox flush --retry-failed')
    .option('--retry-unknown', 'also resend messages whose delivery is unknown (same Message-ID; the guest may get two)')
    .option('--retry-failed', 'also retry messages the server refused (5xx), once the cause is fixed')
    .option('--concurrency <n>', 'SMTP connections', intBetween(1, 64), 4)
    .action(async (flags) =>
      present(f, await runF.flush({ retryUnknown: flags.retryUnknown === true, retryFailed: flags.retryFailed === true, concurrency: flags.concurrency }, f), flushView),
    );
  return outbox;
}
