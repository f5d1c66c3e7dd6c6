import { Command } from 'commander';
import { formatExpiry } from '../../email/render.js';
import { outputFormat, printRows, type Column } from '../../output/print.js';
import type { GuestListRow } from '../../store/types.js';
import type { AppFactory } from '../types.js';
import { runList } from './run.js';

const when = (value: unknown) => (typeof value === 'string' ? formatExpiry(value) : '');

export const GUEST_COLUMNS: Column<GuestListRow>[] = [
  { key: 'email', header: 'EMAIL' },
  { key: 'name', header: 'NAME', terminal: false },
  { key: 'familyName', header: 'FAMILY NAME', terminal: false },
  { key: 'status', header: 'STATUS' },
  { key: 'partner', header: 'PARTNER', terminal: false },
  { key: 'partnerRole', header: 'PARTNER ROLE', terminal: false },
  { key: 'invitedBy', header: 'INVITED BY' },
  { key: 'invitedAt', header: 'INVITED', terminal: false },
  { key: 'lastSentAt', header: 'LAST SENT', format: when },
  { key: 'sendCount', header: 'SENDS' },
  { key: 'expiresAt', header: 'EXPIRES', format: when },
  { key: 'joinedAt', header: 'JOINED', terminal: false },
  { key: 'delivery', header: 'DELIVERY' },
];

export function listCommand(makeApp: AppFactory): Command {
  return new Command('list')
    .description('list guests: a table on a terminal, tab-separated when piped, --json or --csv')
    .option('--status <status>', 'pending, joined, expired or revoked')
    .option('--search <text>', 'only guests whose email, name or family name contains this')
    .option('--partner <name>', 'only guests of this local partner')
    .option('--setup <state>', 'complete (joined, MFA, apps, trusted device) or incomplete')
    .option('--csv', 'CSV that is safe to open in a spreadsheet')
    .addHelpText(
      'after',
      `
Examples:
  $ cerby-guests list --status pending
  $ cerby-guests list --json | jq '.[] | select(.delivery == "failed") | .email'
  $ cerby-guests list --csv > guests.csv`,
    )
    .action((opts: { status?: string; search?: string; partner?: string; setup?: string; csv?: boolean }, command: Command) => {
      const app = makeApp(command);
      const format = outputFormat(app, opts.csv);
      const rows = runList(opts, app);
      if (format === 'table') {
        const all = [...rows];
        if (all.length === 0) app.info('no guests match');
        else printRows(app, all, GUEST_COLUMNS, format);
        return;
      }
      printRows(app, rows, GUEST_COLUMNS, format);
    });
}
