import type { AddressResult, RunReport } from '../../invites/outcome.js';
import { runStatus, type ItemEnd, type Result, type Status } from '../../result.js';
import { displayText } from '../../validate.js';
import type { View } from '../present.js';

/** How one address of an invite, resend or revoke run ended, for the one exit-code rule. */
export function endOf(result: AddressResult): ItemEnd {
  // A failure after the invite was recorded (its email refused, or in doubt) is not the input's.
  if (result.outcome === 'failed') return result.notDone || result.delivery !== undefined ? 'not-done' : 'bad-input';
  if ((result.outcome === 'invited' || result.outcome === 'resent') && result.delivery !== 'sent') return 'not-done';
  return 'done';
}

export function runReportStatus(report: RunReport): Status {
  return runStatus(report.results.map(endOf));
}

/** The run's result; when emails wait in the queue, the command that sends them, as this run was given. */
export function runResult(report: RunReport, f: { hint(command: string): string }): Result<RunReport> {
  if (report.results.some((r) => r.delivery === 'queued')) report.next = f.hint('outbox flush');
  return { status: runReportStatus(report), data: report };
}

/** One stderr line per address (the web app's success box, or why not), then what to do next. */
export const addressRunView: View<RunReport> = {
  report(report, reporter) {
    for (const r of report.results) {
      switch (r.outcome) {
        case 'invited':
        case 'resent': {
          const verb = r.outcome === 'invited' ? 'Invite' : 'New invite';
          if (r.delivery === 'sent') {
            reporter.success(r.file ? `${verb} for ${r.email} written to ${r.file} (no SMTP configured)` : `${verb} sent to ${r.email}`);
          } else {
            reporter.failed(`${verb} for ${r.email} saved but not sent (delivery ${r.delivery ?? 'queued'}): ${r.reason ?? 'unknown reason'}`);
          }
          break;
        }
        case 'revoked':
          reporter.success(
            r.wasJoined
              ? `Revoked ${r.email}: their access ended and their trusted devices were dropped`
              : `Revoked the invite of ${r.email}: its temporary password no longer works`,
          );
          if (r.onTheirWay) {
            reporter.warn(
              `${r.onTheirWay === 1 ? '1 email was' : `${r.onTheirWay} emails were`} already on its way to ${r.email}: it may still arrive, but its password does not work`,
            );
          }
          break;
        case 'would-invite':
        case 'would-resend':
        case 'would-revoke':
          reporter.would(`would ${r.outcome.slice(6)} ${r.email}${r.reason ? ` (${r.reason})` : ''}`);
          break;
        case 'skipped':
          reporter.skipped(`skipped ${r.email}: ${r.reason}`);
          break;
        case 'failed':
          reporter.failed(`${displayText(r.email)}: ${r.reason}`);
          break;
      }
    }
    const queued = report.results.filter((r) => r.delivery === 'queued').length;
    if (queued > 0) reporter.info(`${queued} invite(s) are saved and queued: run \`${report.next ?? 'cerby-guests outbox flush'}\` to send them`);
    if (report.dryRun) reporter.info('dry run: nothing was stored or sent');
  },
};
