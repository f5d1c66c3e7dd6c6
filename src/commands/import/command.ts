import { Command } from 'commander';
import { ExitCode } from '../../errors.js';
import { outputFormat, printRows } from '../../output/print.js';
import type { AppFactory } from '../types.js';
import { runImportList, runImportShow, type ImportReport } from './run.js';

function describe(app: ReturnType<AppFactory>, report: ImportReport): void {
  if (app.json) {
    app.io.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    return;
  }
  app.io.stdout.write(
    `import #${report.id} ${report.status}: ${report.items} item(s), ${report.permissions} permission(s), ${report.errors.length} error(s)\n`,
  );
  for (const e of report.errors) app.io.stdout.write(`  ${e.file}${e.line ? ` line ${e.line}` : ''}: ${e.reason}\n`);
  if (report.guestCandidates.length) app.io.stdout.write(`guest candidates: ${report.guestCandidates.join(', ')}\n`);
}

export function importCommand(makeApp: AppFactory): Command {
  const imports = new Command('import').description('Password Manager Importer: migrate LastPass items and user access permissions');
  imports
    .command('lastpass')
    .description('import a LastPass CSV export and its permissions (passwords, TOTP seeds and notes are never stored)')
    .argument('<file>', 'the export: url,username,password,totp,extra,name,grouping,fav')
    .option('--permissions <file>', 'user access permissions: folder,email,permission (read_only | hide_passwords | admin)')
    .addHelpText('after', '\nExample:\n  $ cerby-guests import lastpass lastpass_export.csv --permissions permissions.csv\n  $ cerby-guests invite --from-import 1')
    .action(async (file: string, opts: { permissions?: string }, command: Command) => {
      const app = makeApp(command);
      const { runImportLastPass } = await import('./run.js');
      const report = await runImportLastPass(file, opts.permissions, app);
      describe(app, report);
      if (report.status === 'succeeded') {
        app.success(`Import #${report.id} succeeded; invite its ${report.guestCandidates.length} external user(s) with \`cerby-guests invite --from-import ${report.id}\``);
      } else {
        app.io.stderr.write(`${app.colorErr.red('✗')} Import #${report.id} failed: ${report.errors.length} problem(s); guests cannot be invited from it\n`);
        app.exitCode = ExitCode.usage;
      }
    });
  imports
    .command('list')
    .action((_opts, command: Command) => {
      const app = makeApp(command);
      printRows(
        app,
        runImportList(app).map((r) => ({ ...r, errors: r.errors.length })),
        [
          { key: 'id', header: 'ID' },
          { key: 'status', header: 'STATUS' },
          { key: 'file', header: 'FILE' },
          { key: 'items', header: 'ITEMS' },
          { key: 'permissions', header: 'PERMISSIONS' },
          { key: 'errors', header: 'ERRORS' },
          { key: 'createdAt', header: 'WHEN' },
        ],
        outputFormat(app),
      );
    });
  imports
    .command('show')
    .argument('<id>')
    .action((id: string, _opts, command: Command) => {
      const app = makeApp(command);
      describe(app, runImportShow(id, app));
    });
  return imports;
}
