import fs from 'node:fs';
import path from 'node:path';
import type { Factory } from '../../factory.js';
import { endOf } from '../../output/views/address-run.js';
import { runStatus, type Result } from '../../result.js';
import { openSession } from '../../session.js';
import { NotPermittedError, UsageError } from '../../errors.js';
import { RunDelivery, type AddressResult } from '../../invites/outcome.js';
import { createProgress } from '../../output/progress.js';
import { authorize } from '../../permissions.js';
import type { Store } from '../../store/store.js';
import type { Partner, PartnerRole } from '../../store/types.js';
import { iso } from '../../time.js';
import { emailInput, emailKey, emailProblem, messageProblem, nameProblem } from '../../validate.js';
import { inputKind } from '../../cli/input-file.js';
import { SeenAddresses } from '../../csv/seen.js';
import { checkCsvFile, readCsvRows, spoolToFile, type CsvRow } from './csv-source.js';
import { recordNewInvites, type InviteSendRequest } from '../../invites/record.js';
import { authorizePlan, carryOutInvite, inviteRequest, planInvites, resolvePartnerTarget, settleRecorded, type Plan } from './run.js';

export interface BulkInviteOptions {
  /** A path, or `-` for standard input. */
  file: string;
  /** Used for rows without a message of their own. */
  message?: string;
  dryRun: boolean;
  concurrency: number;
  /** Each row's result, in file order, once final: `--json` streams them; nothing keeps them all. */
  onResult?: (result: RowResult) => void;
}

export interface RowResult extends AddressResult {
  line: number;
}

export interface BulkReport {
  dryRun: boolean;
  rows: number;
  /** invited: sent (or written); queued: recorded and waiting to be sent (`outbox flush`). */
  counts: { invited: number; queued: number; skipped: number; failed: number; duplicates: number };
  /** Why sending stopped early (the SMTP server is down), and the command that sends the rest. */
  stopped?: string;
  next?: string;
  /** Addresses listed more than once: reported once each (the first MAX_DUPLICATES), with their lines (the first MAX_DUPLICATE_LINES). */
  duplicates: { email: string; lines: number[] }[];
  /** The first failed rows, for the summary; every row's result went to `onResult`. */
  failures: RowResult[];
  seconds: number;
}

/** Marks a row's result as final (no delivery outcome to wait for). */
const FINAL = Symbol('final');

/** Failed rows kept for the summary; the rest are counted (and streamed with --json). */
export const KEPT_FAILURES = 50;
/** Duplicated addresses reported by name, and the lines kept for each: memory stays bounded. */
const MAX_DUPLICATES = 1000;
const MAX_DUPLICATE_LINES = 20;

function noteDuplicate(duplicates: Map<string, { email: string; lines: number[] }>, key: string, first: number, line: number): void {
  const entry = duplicates.get(key);
  if (entry) {
    if (entry.lines.length < MAX_DUPLICATE_LINES) entry.lines.push(line);
  } else if (duplicates.size < MAX_DUPLICATES) {
    // The identity (lower case, IDNA): the first spelling is not kept, only its line.
    duplicates.set(key, { email: key, lines: [first, line] });
  }
}

/** Rows planned per transaction in a dry run. */
const BATCH_ROWS = 200;
/**
 * Rows planned and recorded per transaction in a real run: the event loop is held while a batch
 * is recorded (0.08 ms a row), and every connection waiting on it (for a reply, a mark) waits
 * that long. At 200 rows all four connections stood idle 16–30 ms at each batch, 1 s of a
 * 10,000-row run; at 50, 0.25–0.3 s in all (25 rows did no better, for 0.5 s more CPU).
 */
const SEND_BATCH_ROWS = 50;
/** Rows recorded but not yet sent: bounds memory while the SMTP pool catches up. */
const MAX_BACKLOG = 1000;
/**
 * Once a run has recorded this many invites, the store refreshes its planner statistics
 * (`Store.refreshPlannerStatistics`: PostgreSQL plans its repeated statements from them).
 */
const FRESH_STATISTICS_AFTER_ROWS = 1000;
const PARTNER_ROLES = ['guest_user', 'guest_admin'];

/** Per-row checks that need no store: a reason when the row cannot be invited. */
function rowProblem(row: CsvRow, email: string): string | undefined {
  if (!email) return 'no email address';
  const emailIssue = emailProblem(email);
  if (emailIssue) return `invalid email address: ${emailIssue}`;
  for (const [field, label] of [
    ['name', 'name'],
    ['familyName', 'family name'],
    ['partner', 'partner'],
  ] as const) {
    const value = row.fields[field];
    if (value) {
      const problem = nameProblem(value, label);
      if (problem) return problem;
    }
  }
  if (row.fields.message) {
    const problem = messageProblem(row.fields.message.replace(/\r\n/g, '\n'));
    if (problem) return problem;
  }
  const role = row.fields.role?.trim();
  if (role && !PARTNER_ROLES.includes(role)) return `unknown role ${JSON.stringify(role.slice(0, 40))}: use guest_user or guest_admin`;
  if (role && !row.fields.partner?.trim()) return 'a role needs a partner';
  return undefined;
}

function sendEmailIsFalse(row: CsvRow): boolean {
  return row.fields.sendEmail?.trim().toLowerCase() === 'false';
}

/**
 * `invite --csv`: every row on its own. A bad row is reported with its line and does not stop
 * the others; a file that cannot be read as CSV stops everything before anything is stored.
 */
export async function runBulkInvite(options: BulkInviteOptions, f: Factory): Promise<Result<BulkReport>> {
  const defaultMessage = options.message?.trim() || null;
  if (defaultMessage) {
    const problem = messageProblem(defaultMessage);
    if (problem) throw new UsageError(`invalid --message: ${problem}`);
  }
  const { store, workspace, actor } = await openSession(f);
  // Members, or a Guest Admin for their own partner's rows; each row is checked below.
  authorize(actor, { action: 'list' });
  const partners = new Map<string, { partner?: Partner; partnerRole?: PartnerRole } | string>();
  /** The row's partner and role, or why it cannot be used (unknown partner, not permitted). */
  const targetKey = (row: CsvRow) => `${row.fields.partner?.trim() ?? ''}\u0000${row.fields.role?.trim() ?? ''}`;
  /** Looked up once per partner and role (a million rows name a handful). */
  const rowTarget = async (row: CsvRow) => {
    const name = row.fields.partner?.trim() || undefined;
    const role = row.fields.role?.trim() || undefined;
    const cacheKey = targetKey(row);
    let target = partners.get(cacheKey);
    if (target === undefined) {
      try {
        const resolved = await resolvePartnerTarget(store, name, role);
        authorize(actor, { action: 'invite', ...resolved });
        target = resolved;
      } catch (error) {
        if (!(error instanceof UsageError || error instanceof NotPermittedError)) throw error;
        target = error.message;
      }
      partners.set(cacheKey, target);
    }
    return target;
  };

  const started = f.now().getTime();
  let file = options.file;
  let spooled: string | undefined;
  if (file === '-') {
    spooled = await spoolToFile(f.io.stdin, path.dirname(f.dbPath));
    file = spooled;
  } else if (inputKind(file, 'the CSV file') === 'stream') {
    // A pipe (`--csv <(…)`) can be read once; the file is read twice (checked, then sent).
    spooled = await spoolToFile(fs.createReadStream(file), path.dirname(f.dbPath));
    file = spooled;
  }

  try {
    // Checked whole before anything is stored: a broken file (encoding, quotes, header) changes nothing.
    if (!options.dryRun) await checkCsvFile(file);
    const size = fs.statSync(file).size;

    const seen = new SeenAddresses();
    const duplicateLines = new Map<string, { email: string; lines: number[] }>();
    const counts = { invited: 0, queued: 0, skipped: 0, failed: 0, duplicates: 0 };
    const failures: RowResult[] = [];
    const ends = { done: 0, 'bad-input': 0, 'not-done': 0 };
    // Results leave in file order once final; only those still in flight are held (≤ the backlog).
    const inOrder: RowResult[] = [];
    let head = 0;
    // A symbol key: JSON leaves it out, and a million rows cost no weak table for the GC to walk.
    const isFinal = (r: RowResult) => (r as RowResult & { [FINAL]?: true })[FINAL] === true;
    const emit = (r: RowResult) => {
      // Refused or in doubt: failed. Recorded but not sent yet: queued, not failed.
      if (r.outcome === 'invited' && r.delivery !== 'sent' && r.delivery !== 'queued') r.outcome = 'failed';
      if (r.outcome === 'invited' && r.delivery === 'queued') counts.queued++;
      else if (r.outcome === 'invited' || r.outcome === 'would-invite') counts.invited++;
      else if (r.outcome === 'skipped') counts.skipped++;
      else counts.failed++;
      ends[endOf(r)]++;
      if (r.outcome === 'failed' && failures.length < KEPT_FAILURES) failures.push(r);
      options.onResult?.(r);
    };
    const drain = (all = false) => {
      while (head < inOrder.length && (all || isFinal(inOrder[head]!))) emit(inOrder[head++]!);
      if (head > 1024 && head * 2 > inOrder.length) {
        inOrder.splice(0, head);
        head = 0;
      }
    };
    const settle = (r: RowResult) => {
      (r as RowResult & { [FINAL]?: true })[FINAL] = true;
      if (inOrder[head] === r) drain();
    };
    const progress = createProgress(f, () => f.now().getTime());
    const delivery = options.dryRun ? undefined : await RunDelivery.begin(f, workspace, options.concurrency, (r) => settle(r as RowResult));
    let batch: { row: CsvRow; result: RowResult; target: { partner?: Partner; partnerRole?: PartnerRole } }[] = [];
    let rows = 0;
    let recorded = 0;
    let statisticsFresh = false;
    let bytesRead = 0;
    // Made once: a closure per row is garbage a million times over.
    const progressText = () => `${rows.toLocaleString('en-US')} rows`;
    const progressFraction = () => (size ? bytesRead / size : undefined);

    /** Plans (and unless dry-run, records) a batch of rows in one transaction. */
    const flushBatch = async () => {
      if (batch.length === 0) return;
      const now = f.now();
      const nowIso = iso(now);
      const items = batch;
      batch = [];
      const handle = async (tx: Store) => {
        const plans = await planInvites(tx, items.map((item) => item.result.email), nowIso);
        // New guests (most rows) are recorded together, a statement per table for the batch.
        const fresh: { plan: Extract<Plan, { kind: 'new' }>; request: InviteSendRequest; result: RowResult }[] = [];
        for (const [i, { row, result, target }] of items.entries()) {
          const plan = plans[i]!;
          if (plan.kind === 'skip' || plan.kind === 'refuse') {
            result.outcome = plan.kind === 'skip' ? 'skipped' : 'failed';
            result.reason = plan.reason;
            continue;
          }
          try {
            authorizePlan(actor, plan, target);
          } catch (error) {
            if (!(error instanceof NotPermittedError)) throw error;
            result.reason = error.message;
            continue;
          }
          if (!delivery) {
            result.outcome = 'would-invite';
            continue;
          }
          const details = {
            name: row.fields.name?.trim() || null,
            familyName: row.fields.familyName?.trim() || null,
            message: row.fields.message?.replace(/\r\n/g, '\n').trim() || defaultMessage,
            actor: actor.email,
            invitedVia: target.partner ? ('partner' as const) : ('members' as const),
            partnerId: target.partner?.id ?? null,
            partnerRole: target.partnerRole ?? null,
          };
          if (plan.kind === 'new') fresh.push({ plan, request: inviteRequest(plan, details, delivery), result });
          else await carryOutInvite(tx, workspace, now, delivery, plan, details, result);
        }
        if (!delivery || fresh.length === 0) return;
        const sent = await recordNewInvites(tx, workspace, now, fresh.map((f) => f.request));
        recorded += fresh.length;
        for (const [i, { plan, result }] of fresh.entries()) await settleRecorded(tx, now, delivery, plan, sent[i], result);
      };
      if (delivery) {
        // On disk before any of its emails goes out; the sync runs off this thread.
        await store.writeDurable(handle);
        delivery.submit();
        if (!statisticsFresh && recorded >= FRESH_STATISTICS_AFTER_ROWS) {
          statisticsFresh = true;
          await store.refreshPlannerStatistics();
        }
      } else {
        await store.read(handle);
      }
      // Invited rows become final when their email is delivered (or not); the rest are now.
      for (const { result } of items) if (result.outcome !== 'invited') settle(result);
    };

    try {
      reading: for await (const rowBatch of readCsvRows(file, (layout) => {
        if (layout.ignored.length) f.reporter.warn(`ignoring column(s) ${layout.ignored.map((c) => JSON.stringify(c)).join(', ')}`);
      })) for (const row of rowBatch) {
        rows++;
        const email = emailInput(row.fields.email ?? '');
        const result: RowResult = { line: row.line, email, outcome: 'failed' };
        inOrder.push(result);
        const problem = rowProblem(row, email);
        const target = problem ? undefined : (partners.get(targetKey(row)) ?? (await rowTarget(row)));
        if (problem || typeof target === 'string') {
          result.reason = problem ?? (target as string);
          settle(result);
        } else {
          const key = emailKey(email);
          const first = seen.firstLine(key, row.line);
          if (first !== undefined) {
            result.outcome = 'skipped';
            result.reason = `duplicate of line ${first}`;
            noteDuplicate(duplicateLines, key, first, row.line);
            counts.duplicates = duplicateLines.size;
            settle(result);
          } else if (sendEmailIsFalse(row)) {
            result.outcome = 'skipped';
            result.reason = '"Send invitation message" is false: no invite sent';
            settle(result);
          } else {
            batch.push({ row, result, target: target! });
            if (batch.length >= (delivery ? SEND_BATCH_ROWS : BATCH_ROWS)) {
              await flushBatch();
              if (delivery) {
                await delivery.waitForBacklog(MAX_BACKLOG);
                if (delivery.stopped) break reading;
              }
            }
          }
        }
        bytesRead = row.bytes;
        progress.update(rows, progressText, progressFraction);
      }
      await flushBatch();
    } catch (error) {
      // The store could not take a batch (disk full…): nothing of that batch was kept. Stop
      // leasing, let messages in flight finish and be recorded; finish() then reports it.
      if (!delivery) throw error;
      delivery.stop(error);
    }
    try {
      await delivery?.finish();
    } finally {
      progress.finish();
    }
    // Whatever the run did not get to (it stopped early) is final as it stands.
    drain(true);

    const duplicates = [...duplicateLines.values()];
    counts.duplicates = duplicates.length;
    return {
      status: runStatus((Object.keys(ends) as (keyof typeof ends)[]).filter((end) => ends[end] > 0)),
      data: {
        dryRun: options.dryRun,
        rows,
        counts,
        duplicates,
        failures,
        seconds: (f.now().getTime() - started) / 1000,
        stopped: delivery?.stopReason,
        next: counts.queued > 0 ? f.hint('outbox flush') : undefined,
      },
    };
  } finally {
    if (spooled) fs.rmSync(spooled, { force: true });
  }
}
