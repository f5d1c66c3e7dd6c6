import { Command } from '@commander-js/extra-typings';
import type { Factory } from '../../factory.js';
import { present, type Output, type View } from '../../output/present.js';
import type { Result } from '../../result.js';
import type { ImportRecord } from '../../store/imports.js';
import type { ImportReport } from './run.js';
import { runImportList, runImportShow } from './run.js';

function describe(report: ImportReport, out: Output): void {
  out.line(`import #${report.id} ${report.status}: ${report.items} item(s), ${report.permissions} permission(s), ${report.errors.length} error(s)`);
  for (const e of report.errors) out.line(`  ${e.file}${e.line ? ` line ${e.line}` : ''}: ${e.reason}`);
  if (report.guestCandidates.length) out.line(`guest candidates: ${report.guestCandidates.join(', ')}`);
}

const importView: View<ImportReport> = {
  print: describe,
  report(report, reporter) {
    if (report.status === 'succeeded') {
      reporter.success(`Import #${report.id} succeeded; invite its ${report.guestCandidates.length} external user(s) with \`cerby-guests invite --from-import ${report.id}\``);
    } else {
      reporter.failed(`Import #${report.id} failed: ${report.errors.length} problem(s); guests cannot be invited from it`);
    }
  },
};

const RUN = {
  // csv-parse loads only for an import.
  lastpass: async (opts: { file: string; permissions?: string }, f: Factory): Promise<Result<ImportReport>> => (await import('./run.js')).runImportLastPass(opts, f),
  list: runImportList,
  show: runImportShow,
};

export function newCmdImport(f: Factory, runF: Partial<typeof RUN> = {}) {
  const run = { ...RUN, ...runF };
  const imports = new Command('import')
    .description('Password Manager Importer: migrate LastPass items and user access permissions')
    .addHelpText('after', '\nExamples:\n  $ cerby-guests import lastpass lastpass_export.csv --permissions permissions.csv\n  $ cerby-guests import list');
  imports
    .command('lastpass')
    .description('import a LastPass CSV export and its permissions (passwords, TOTP seeds and notes are never stored)')
    .argument('<file>', 'the export: url,username,password,totp,extra,name,grouping,fav')
    .option('--permissions <file>', 'user access permissions: folder,email,permission (read_only | hide_passwords | admin)')
    .addHelpText('after', '\nExample:\n  $ cerby-guests import lastpass lastpass_export.csv --permissions permissions.csv\n\nThen invite its external users: cerby-guests invite --from-import ID')
    .action(async (file, flags) => present(f, await run.lastpass({ file, permissions: flags.permissions }, f), importView));
  imports
    .command('list')
    .description('the migrations recorded, newest last')
    .addHelpText('after', '\nExample:\n  $ cerby-guests import list')
    .action(() =>
      present(f, run.list({}, f), {
        print: (records: ImportRecord[], out) =>
          out.rows(
            records.map((r) => ({ ...r, errors: r.errors.length })),
            [
              { key: 'id', header: 'ID' },
              { key: 'status', header: 'STATUS' },
              { key: 'file', header: 'FILE' },
              { key: 'items', header: 'ITEMS' },
              { key: 'permissions', header: 'PERMISSIONS' },
              { key: 'errors', header: 'ERRORS' },
              { key: 'createdAt', header: 'WHEN', time: true },
            ],
            { empty: `no migrations yet: import one with \`${f.hint('import lastpass FILE')}\`` },
          ),
      }),
    );
  imports
    .command('show')
    .description('one migration: its counts, its errors, its guest candidates')
    .argument('<id>', 'the migration\'s number (see import list)')
    .addHelpText('after', '\nExample:\n  $ cerby-guests import show 1')
    .action((id) => present(f, run.show({ id }, f), { print: describe }));
  return imports;
}
