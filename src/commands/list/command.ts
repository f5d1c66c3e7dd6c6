import { Command, Option } from '@commander-js/extra-typings';
import { intBetween, listOf, oneOf } from '../../cli/args.js';
import { UsageError } from '../../errors.js';
import type { Factory } from '../../factory.js';
import type { Column } from '../../output/print.js';
import { present } from '../../output/present.js';
import { GUEST_SORTS } from '../../store/guests.js';
import { GUEST_STATUSES, type GuestListRow } from '../../store/types.js';
import { runList, type ListOptions } from './run.js';

/**
 * Scripts (TSV, CSV, JSON) get every column, ISO-8601 times, in this order; a terminal gets
 * EMAIL, NAME, STATUS, PARTNER, INVITED, EXPIRES, DELIVERY, fitted to its width.
 */
export const GUEST_COLUMNS: Column<GuestListRow>[] = [
  { key: 'email', header: 'EMAIL', shrink: 'last' },
  { key: 'name', header: 'NAME', shrink: 'first', format: (_v, row) => [row.name, row.familyName].filter(Boolean).join(' ') },
  { key: 'familyName', header: 'FAMILY NAME', terminal: false },
  { key: 'status', header: 'STATUS' },
  { key: 'partner', header: 'PARTNER', shrink: 'first' },
  { key: 'partnerRole', header: 'PARTNER ROLE', terminal: false },
  { key: 'invitedBy', header: 'INVITED BY', terminal: false },
  { key: 'invitedAt', header: 'INVITED', time: true },
  { key: 'lastSentAt', header: 'LAST SENT', terminal: false },
  { key: 'sendCount', header: 'SENDS', terminal: false },
  { key: 'expiresAt', header: 'EXPIRES', time: true },
  { key: 'joinedAt', header: 'JOINED', terminal: false },
  { key: 'delivery', header: 'DELIVERY' },
];

/** What to do when nothing matched: drop the filters, or invite someone. */
function emptyHint(opts: ListOptions & { partner?: string; setup?: string }, hint: (command: string) => string): string {
  const filtered = opts.statuses?.length || opts.search !== undefined || opts.partner !== undefined || opts.setup !== undefined;
  return filtered
    ? `no guests match these filters: try fewer, or \`${hint('list')}\` for everyone`
    : `no guests yet: invite one with \`${hint('invite EMAIL')}\``;
}

export function newCmdList(f: Factory, runF = runList) {
  return new Command('list')
    .description('list guests: a table fitted to the terminal, tab-separated when piped, --json or --csv')
    .option('--status <status>', `${GUEST_STATUSES.join(', ')}; a comma list, or repeat the flag`, listOf(GUEST_STATUSES))
    .option('--search <text>', 'only guests whose email, name or family name contains this')
    .option('--partner <name>', 'only guests of this local partner')
    .option('--setup <state>', 'complete (joined, MFA, apps, trusted device) or incomplete')
    .addOption(new Option('--sort <field>', `order by ${GUEST_SORTS.join(', ')}`).argParser(oneOf(GUEST_SORTS)).default('invited' as const))
    .addOption(new Option('--order <order>', 'asc or desc').argParser(oneOf(['asc', 'desc'] as const)).default('asc' as const))
    .option('--limit <n>', 'at most this many guests', intBetween(1, 1_000_000_000))
    .option('--csv', 'CSV that is safe to open in a spreadsheet')
    .addHelpText(
      'after',
      `
Times are relative on a terminal ("3 days ago"), ISO-8601 in TSV, CSV and JSON.

Examples:
  $ cerby-guests list --status pending,expired
  $ cerby-guests list --sort expires --limit 20
  $ cerby-guests list --json | jq '.[] | select(.delivery == "failed") | .email'
  $ cerby-guests list --csv > guests.csv`,
    )
    .action(async (flags) => {
      const csv = flags.csv === true;
      if (csv && f.json) throw new UsageError('give one of --json or --csv');
      const opts = {
        statuses: flags.status,
        search: flags.search,
        partner: flags.partner,
        setup: flags.setup,
        sort: flags.sort,
        descending: flags.order === 'desc',
        limit: flags.limit,
      };
      await present(f, runF(opts, f), {
        // Rows stream to the output as they are read (100,000 of them are never held), JSON too.
        printsJson: true,
        print: (rows, out) => out.rows(rows, GUEST_COLUMNS, { csv, empty: emptyHint(opts, (c) => f.hint(c)) }),
      });
    });
}
