import { Command } from '@commander-js/extra-typings';
import { intBetween } from '../../cli/args.js';
import { UsageError } from '../../errors.js';
import type { Factory } from '../../factory.js';
import type { RunReport } from '../../invites/outcome.js';
import { JsonResultsWriter } from '../../output/json.js';
import { present, type View } from '../../output/present.js';
import { addressRunView } from '../../output/views/address-run.js';
import { valueOrPrompt } from '../../prompter.js';
import type { Result } from '../../result.js';
import { displayText, emailInput, emailProblem } from '../../validate.js';
import type { BulkInviteOptions, BulkReport } from './bulk.js';
import { runInvitePreview } from './preview.js';
import { runInvite, type InviteOptions } from './run.js';

/** The bulk summary on stderr (the --json report goes to stdout, its results streamed). */
export const bulkView: View<BulkReport> = {
  report(report, reporter) {
    const n = (x: number) => x.toLocaleString('en-US');
    for (const r of report.failures) {
      reporter.failed(`line ${r.line}: ${r.email ? displayText(r.email) : '(no email)'}: ${r.reason ?? 'failed'}`);
    }
    if (report.counts.failed > report.failures.length) reporter.info(`… and ${n(report.counts.failed - report.failures.length)} more failed rows (see --json)`);
    for (const d of report.duplicates) {
      reporter.skipped(`${displayText(d.email)} is listed more than once (lines ${d.lines.join(', ')}${d.lines.length >= 20 ? ', …' : ''}): invited once`);
    }
    if (report.counts.duplicates > report.duplicates.length) reporter.info(`… and ${n(report.counts.duplicates - report.duplicates.length)} more duplicated addresses`);
    const verb = report.dryRun ? 'would invite' : 'invited';
    const queued = report.counts.queued > 0 ? `, queued ${n(report.counts.queued)}${report.stopped ? ` (${report.stopped})` : ''}` : '';
    const line = `${verb} ${n(report.counts.invited)}${queued}, skipped ${n(report.counts.skipped)}, failed ${n(report.counts.failed)} of ${n(report.rows)} rows in ${report.seconds.toFixed(1)} s`;
    if (report.counts.failed > 0 || report.counts.queued > 0) reporter.failed(line);
    else reporter.success(line.charAt(0).toUpperCase() + line.slice(1));
    if (report.next) reporter.info(`the queued invites are saved: run \`${report.next}\` to send them`);
    if (report.dryRun) reporter.info('dry run: nothing was stored or sent');
  },
};

/** The three ways to invite (SPEC §2): addresses, a CSV file, a Password Manager Importer migration. */
export interface InviteRunners {
  invite: (opts: InviteOptions, f: Factory) => Promise<Result<RunReport>>;
  bulk: (opts: BulkInviteOptions, f: Factory) => Promise<Result<BulkReport>>;
  fromImport: (opts: { importId: string; message?: string; dryRun: boolean }, f: Factory) => Promise<Result<RunReport>>;
}

const RUNNERS: InviteRunners = {
  invite: runInvite,
  // csv-parse and the importer load only when used.
  bulk: async (opts, f) => (await import('./bulk.js')).runBulkInvite(opts, f),
  fromImport: async (opts, f) => (await import('./from-import.js')).runInviteFromImport(opts, f),
};

export function newCmdInvite(f: Factory, runF: Partial<InviteRunners> = {}) {
  const run = { ...RUNNERS, ...runF };
  return new Command('invite')
    .description('invite guests by email: each gets a temporary password and a "Join as a guest" link')
    .argument('[emails...]', 'addresses to invite')
    .option('--name <name>', "the guest's name (one address only)")
    .option('--family-name <name>', "the guest's family name (one address only)")
    .option('--message <text>', 'a custom message from you, included in the email')
    .option('--partner <name>', 'invite into this local partner')
    .option('--role <role>', 'with --partner: guest_user (default) or guest_admin')
    .option('--csv <file>', 'bulk: invite every row of a CSV file (- reads standard input)')
    .option('--concurrency <n>', 'with --csv: SMTP connections', intBetween(1, 64), 4)
    .option('--from-import <id>', 'invite the external users of a successful Password Manager Importer migration')
    .option('--dry-run', 'validate and report what would happen; store and send nothing')
    .option('--preview <folder>', 'write the email as it would be sent (HTML and text, a placeholder password) to open in a browser; nothing is stored or sent')
    .addHelpText(
      'after',
      `
Examples:
  $ cerby-guests invite guest@partner.example --message "Welcome aboard"
  $ cerby-guests invite a@partner.example b@partner.example --as admin@acme.example
  $ cerby-guests invite guest@partner.example --dry-run
  $ cerby-guests invite guest@partner.example --name Ada --message "Welcome" --preview preview/
  $ cerby-guests invite lead@agency.example --partner "Agency" --role guest_admin
  $ cerby-guests invite --csv guests.csv --concurrency 8
  $ some-export | cerby-guests invite --csv - --json > results.json`,
    )
    .action(async (emails, flags) => {
      const dryRun = flags.dryRun === true;
      if (flags.preview !== undefined) {
        if (flags.csv !== undefined || flags.fromImport !== undefined) throw new UsageError('--preview shows one email: not with --csv or --from-import');
        const preview = runInvitePreview({ folder: flags.preview, emails, name: flags.name, familyName: flags.familyName, message: flags.message }, f);
        await present(f, preview, {
          report: (files, r) => r.success(`Wrote the email as it would be sent to ${files.html} and ${files.text} (a placeholder password; nothing stored or sent)`),
        });
        return;
      }
      if (flags.fromImport !== undefined) {
        if (emails.length > 0 || flags.csv !== undefined) throw new UsageError('--from-import takes no addresses and no --csv');
        await present(f, await run.fromImport({ importId: flags.fromImport, message: flags.message, dryRun }, f), addressRunView);
        return;
      }
      if (flags.csv !== undefined) {
        if (emails.length > 0) throw new UsageError('give email addresses or --csv, not both');
        if (flags.name !== undefined || flags.familyName !== undefined) throw new UsageError('--name and --family-name do not go with --csv: use the name columns');
        // With --json, each row's result is written as it becomes final (in file order): constant memory.
        const json = f.json ? new JsonResultsWriter(f.io.stdout, f.io.stdoutIsTTY) : undefined;
        const opts: BulkInviteOptions = { file: flags.csv, message: flags.message, dryRun, concurrency: flags.concurrency };
        if (json) opts.onResult = (r) => json.item(r);
        const result = await run.bulk(opts, f);
        await present(f, result, {
          ...bulkView,
          printsJson: true,
          print: (report) => {
            if (!json) return;
            const { failures: _shown, ...rest } = report;
            json.end(rest);
          },
        });
        return;
      }
      // The web app's Invite guest user dialog: asked until the address is valid.
      if (emails.length === 0) {
        emails = [await valueOrPrompt(f.prompter, undefined, 'EMAIL argument', (p) => p.input('Email', { validate: (v) => emailProblem(emailInput(v)) ?? true }))];
      }
      const opts: InviteOptions = {
        emails,
        name: flags.name,
        familyName: flags.familyName,
        message: flags.message,
        partner: flags.partner,
        role: flags.role,
        dryRun,
      };
      await present(f, await run.invite(opts, f), addressRunView);
    });
}
