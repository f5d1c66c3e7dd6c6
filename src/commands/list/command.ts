import { Command } from '@commander-js/extra-typings';
import { formatExpiry } from '../../email/render.js';
import type { Factory } from '../../factory.js';
import type { Column } from '../../output/print.js';
import { present } from '../../output/present.js';
import type { GuestListRow } from '../../store/types.js';
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

export function newCmdList(f: Factory, runF = runList) {
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
    .action((flags) => {
      const csv = flags.csv === true;
      present(f, runF({ status: flags.status, search: flags.search, partner: flags.partner, setup: flags.setup }, f), {
        // Rows stream to the output as they are read (100,000 of them are never held), JSON too.
        printsJson: true,
        print(rows, out) {
          if (out.format(csv) === 'table') {
            const all = [...rows];
            if (all.length === 0) f.reporter.info('no guests match');
            else out.rows(all, GUEST_COLUMNS);
            return;
          }
          out.rows(rows, GUEST_COLUMNS, { csv });
        },
      });
    });
}
