import type { Factory } from '../../factory.js';
import { runResult } from '../../output/views/address-run.js';
import type { Result } from '../../result.js';
import { openSession } from '../../session.js';
import { UsageError } from '../../errors.js';
import { countOutcomes, RunDelivery, type AddressResult, type RunReport } from '../../invites/outcome.js';
import { authorize } from '../../permissions.js';
import { iso } from '../../time.js';
import { emailKey } from '../../validate.js';
import { guestCandidates, parseImportId } from '../../importer/importer.js';
import type { Store } from '../../store/store.js';
import { carryOutInvite, planInvite } from './run.js';

/**
 * Invites the external users of a migration and records their access to its items (effective
 * once they join). The help article's rule: only after a successful migration of items and
 * user access permissions.
 */
export async function runInviteFromImport(options: { importId: string; message?: string; dryRun: boolean }, f: Factory): Promise<Result<RunReport>> {
  const { store, workspace, actor } = await openSession(f);
  authorize(actor, { action: 'invite.fromImport' });
  const id = parseImportId(options.importId);
  const record = await store.imports.get(id);
  if (!record) throw new UsageError(`no import #${id}: see \`cerby-guests import list\``);
  if (record.status !== 'succeeded') {
    throw new UsageError(
      `import #${id} failed: guest invites can only be sent after a successful migration of items and user access permissions (see \`cerby-guests import show ${id}\`)`,
    );
  }
  const permissions = await store.imports.permissions(id);
  const candidates = guestCandidates(await store.workspace.domains(), permissions);
  const now = f.now();
  const at = iso(now);
  const results: AddressResult[] = [];
  const delivery = options.dryRun ? undefined : await RunDelivery.begin(f, workspace, 2);

  const record_ = async (tx: Store) => {
    // Items become accounts once (a later run reuses them).
    const accountsByFolder = new Map<string, number[]>();
    for (const item of await tx.imports.items(id)) {
      let accountId = item.accountId;
      if (accountId === null && !options.dryRun) {
        accountId = (await tx.accounts.find(item.name))?.id ?? (await tx.accounts.insert(item.name, item.url, actor.email, at));
        await tx.imports.setItemAccount(item.id, accountId);
      }
      if (accountId !== null) accountsByFolder.set(item.folder, [...(accountsByFolder.get(item.folder) ?? []), accountId]);
    }
    for (const email of candidates) {
      const plan = await planInvite(tx, email, at);
      if (plan.kind === 'refuse') {
        results.push({ email: plan.email, outcome: 'failed', reason: plan.reason });
        continue;
      }
      if (options.dryRun) {
        results.push({ email: plan.email, outcome: plan.kind === 'skip' ? 'skipped' : 'would-invite', reason: plan.kind === 'skip' ? plan.reason : undefined });
        continue;
      }
      if (plan.kind === 'skip') results.push({ email: plan.email, outcome: 'skipped', reason: plan.reason });
      else {
        const result: AddressResult = { email: plan.email, outcome: 'invited' };
        results.push(result);
        const details = { name: null, familyName: null, message: options.message?.trim() || null, actor: actor.email, invitedVia: 'importer' as const };
        await carryOutInvite(tx, workspace, now, delivery!, plan, details, result);
      }
      // The imported access: admin → manager, read_only / hide_passwords → user.
      const guest = (await tx.guests.find(emailKey(email)))!;
      for (const p of permissions.filter((p) => p.emailKey === emailKey(email))) {
        for (const accountId of accountsByFolder.get(p.folder) ?? []) {
          await tx.accounts.upsertShare({ accountId, guestId: guest.id, role: p.permission === 'admin' ? 'manager' : 'user', sharedBy: actor.email, at });
        }
      }
    }
    if (!options.dryRun) await tx.audit.record({ at, actor: actor.email, action: 'invite.fromImport', target: `import:${id}`, detail: { candidates: candidates.length } });
  };
  if (options.dryRun) await record_(store);
  else await store.write(record_);
  await delivery?.finish();
  return runResult({ dryRun: options.dryRun, results, counts: countOutcomes(results) }, f);
}
