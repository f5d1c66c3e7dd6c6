import { Command } from 'commander';
import type { App } from '../../app.js';
import { UsageError } from '../../errors.js';
import { reportResults } from '../../invites/outcome.js';
import { valueOrPrompt } from '../../prompter.js';
import { displayText } from '../../validate.js';
import { parsePositiveInt } from '../outbox/command.js';
import type { AppFactory } from '../types.js';
import type { BulkReport } from './bulk.js';
import { runInvite } from './run.js';

const SHOWN_FAILURES = 50;

/** The bulk summary on stderr (the --json report goes to stdout); returns the exit code. */
function reportBulk(app: App, report: BulkReport): number {
  const c = app.colorErr;
  const n = (x: number) => x.toLocaleString('en-US');
  if (app.json) app.io.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  const failed = report.results.filter((r) => r.outcome === 'failed');
  for (const r of failed.slice(0, SHOWN_FAILURES)) {
    app.io.stderr.write(`${c.red('✗')} line ${r.line}: ${r.email ? displayText(r.email) : '(no email)'}: ${r.reason ?? 'failed'}\n`);
  }
  if (failed.length > SHOWN_FAILURES) app.info(`… and ${n(failed.length - SHOWN_FAILURES)} more failed rows (see --json)`);
  for (const d of report.duplicates) app.info(`${c.yellow('-')} ${displayText(d.email)} is listed more than once (lines ${d.lines.join(', ')}): invited once`);
  const verb = report.dryRun ? 'would invite' : 'invited';
  const line = `${verb} ${n(report.counts.invited)}, skipped ${n(report.counts.skipped)}, failed ${n(report.counts.failed)} of ${n(report.rows)} rows in ${report.seconds.toFixed(1)} s`;
  if (report.counts.failed > 0) app.io.stderr.write(`${c.red('✗')} ${line}\n`);
  else app.success(line.charAt(0).toUpperCase() + line.slice(1));
  if (report.dryRun) app.info('dry run: nothing was stored or sent');
  return report.counts.failed > 0 ? 3 : 0;
}

export function inviteCommand(makeApp: AppFactory): Command {
  return new Command('invite')
    .description('invite guests by email: each gets a temporary password and a "Join as a guest" link')
    .argument('[emails...]', 'addresses to invite')
    .option('--name <name>', "the guest's name (one address only)")
    .option('--family-name <name>', "the guest's family name (one address only)")
    .option('--message <text>', 'a custom message from you, included in the email')
    .option('--partner <name>', 'invite into this local partner')
    .option('--role <role>', 'with --partner: guest_user (default) or guest_admin')
    .option('--csv <file>', 'bulk: invite every row of a CSV file (- reads standard input)')
    .option('--concurrency <n>', 'with --csv: SMTP connections', parsePositiveInt, 4)
    .option('--from-import <id>', 'invite the external users of a successful Password Manager Importer migration')
    .option('--dry-run', 'validate and report what would happen; store and send nothing')
    .addHelpText(
      'after',
      `
Examples:
  $ cerby-guests invite guest@partner.example --message "Welcome aboard"
  $ cerby-guests invite a@partner.example b@partner.example --as admin@acme.example
  $ cerby-guests invite guest@partner.example --dry-run
  $ cerby-guests invite lead@agency.example --partner "Agency" --role guest_admin
  $ cerby-guests invite --csv guests.csv --concurrency 8
  $ some-export | cerby-guests invite --csv - --json > results.json`,
    )
    .action(async (emails: string[], opts, command: Command) => {
      const app = makeApp(command);
      if (opts.fromImport !== undefined) {
        if (emails.length > 0 || opts.csv !== undefined) throw new UsageError('--from-import takes no addresses and no --csv');
        const { runInviteFromImport } = await import('./from-import.js');
        app.exitCode = reportResults(app, await runInviteFromImport({ importId: opts.fromImport, message: opts.message, dryRun: opts.dryRun }, app));
        return;
      }
      if (opts.csv !== undefined) {
        if (emails.length > 0) throw new UsageError('give email addresses or --csv, not both');
        if (opts.name || opts.familyName) throw new UsageError('--name and --family-name do not go with --csv: use the name columns');
        const { runBulkInvite } = await import('./bulk.js'); // csv-parse only for bulk runs
        app.exitCode = reportBulk(app, await runBulkInvite({ file: opts.csv, message: opts.message, dryRun: opts.dryRun, concurrency: opts.concurrency }, app));
        return;
      }
      if (emails.length === 0) {
        emails = [await valueOrPrompt(app.prompter, undefined, 'EMAIL argument', (p) => p.input('Guest email'))];
      }
      const report = await runInvite({ ...opts, emails }, app);
      app.exitCode = reportResults(app, report);
    });
}
