import type { App } from '../../app.js';
import { UsageError } from '../../errors.js';
import { requirePermission } from '../../permissions.js';
import { GUEST_STATUSES, type GuestListRow, type GuestStatus } from '../../store/types.js';
import { iso } from '../../time.js';

export interface ListOptions {
  status?: string;
  search?: string;
}

export function parseStatus(text: string | undefined): GuestStatus | undefined {
  if (text === undefined) return undefined;
  if ((GUEST_STATUSES as readonly string[]).includes(text)) return text as GuestStatus;
  throw new UsageError(`unknown --status ${JSON.stringify(text.slice(0, 40))}: use one of ${GUEST_STATUSES.join(', ')}`);
}

export function runList(options: ListOptions, app: App): GuestListRow[] {
  const status = parseStatus(options.status);
  const store = app.store();
  app.workspace();
  requirePermission(app.actor(), 'list');
  return store.listGuests({ status, search: options.search, now: iso(app.now()) });
}
