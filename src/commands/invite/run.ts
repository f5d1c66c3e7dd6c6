import { addresses } from '../../cli/args.js';
import type { Factory } from '../../factory.js';
import { runResult } from '../../output/views/address-run.js';
import type { Result } from '../../result.js';
import { openSession } from '../../session.js';
import { UsageError } from '../../errors.js';
import { countOutcomes, RunDelivery, type AddressResult, type RunReport } from '../../invites/outcome.js';
import { recordInviteSend, type InviteSendRequest, type RecordedSend } from '../../invites/record.js';
import { authorize, type Actor } from '../../permissions.js';
import type { Store } from '../../store/store.js';
import { PARTNER_ROLES, type Guest, type Partner, type PartnerRole, type Workspace } from '../../store/types.js';
import { iso } from '../../time.js';
import { emailKey, requireMessage, requireName } from '../../validate.js';

export interface InviteOptions {
  emails: string[];
  partner?: string;
  role?: string;
  name?: string;
  familyName?: string;
  message?: string;
  dryRun: boolean;
}

export type Plan =
  | { kind: 'new'; email: string }
  | { kind: 'again'; email: string; guest: Guest; why: string }
  /** Pending, but its email never left (an earlier run was stopped): send that one. */
  | { kind: 'resume'; email: string; outboxId: number; guest: Guest }
  | { kind: 'skip'; email: string; reason: string }
  | { kind: 'refuse'; email: string; reason: string };

export const RESUME_REASON = 'its invite was recorded earlier but never sent: sending it now';

/** Decides what inviting one address means, from what the store knows of it (SPEC §2). */
export async function planInvite(store: Store, email: string, now: string): Promise<Plan> {
  return (await planInvites(store, [email], now))[0]!;
}

/** `planInvite` for a batch of addresses, in a few statements (one per table) rather than a few per address. */
export async function planInvites(store: Store, emails: readonly string[], now: string): Promise<Plan[]> {
  const keys = emails.map((email) => emailKey(email));
  const members = await store.members.findMany(keys);
  const guests = await store.guests.findMany(keys);
  // A pending invite whose email never left (an earlier run was stopped) is resumed, not skipped.
  const lastIds = [...guests.values()].filter((g) => g.status === 'pending' && g.expiresAt > now && g.lastMessageId !== null).map((g) => g.lastMessageId!);
  const lastStates = await store.outbox.statesOf(lastIds);
  return emails.map((email, i): Plan => {
    const member = members.get(keys[i]!);
    if (member) return { kind: 'refuse', email, reason: `already a member of the workspace (${member.role})` };
    const guest = guests.get(keys[i]!);
    if (!guest) return { kind: 'new', email };
    if (guest.status === 'joined') return { kind: 'refuse', email: guest.email, reason: 'already joined the workspace as a guest' };
    if (guest.status === 'revoked') return { kind: 'again', email: guest.email, guest, why: 'the previous invite was revoked' };
    if (guest.expiresAt <= now) return { kind: 'again', email: guest.email, guest, why: 'the previous invite expired' };
    if (guest.lastMessageId !== null && lastStates.get(guest.lastMessageId) === 'queued') return { kind: 'resume', email: guest.email, outboxId: guest.lastMessageId, guest };
    return {
      kind: 'skip',
      email: guest.email,
      reason: `already has a pending invite (expires ${guest.expiresAt}); use \`cerby-guests resend ${guest.email}\` to send a new one`,
    };
  });
}

/** `--partner NAME [--role guest_user|guest_admin]`: the partner must exist; the role defaults to guest_user. */
export async function resolvePartnerTarget(
  store: Store,
  partnerName: string | undefined,
  roleText: string | undefined,
): Promise<{ partner?: Partner; partnerRole?: PartnerRole }> {
  const role = roleText?.trim();
  if (role !== undefined && !(PARTNER_ROLES as readonly string[]).includes(role)) {
    throw new UsageError(`unknown --role ${JSON.stringify(role.slice(0, 40))}: use guest_user or guest_admin`);
  }
  if (partnerName === undefined) {
    if (role !== undefined) throw new UsageError('--role goes with --partner');
    return {};
  }
  const partner = await store.partners.find(partnerName);
  if (!partner) throw new UsageError(`no partner ${JSON.stringify(partnerName.slice(0, 80))}: create it with \`cerby-guests partners create NAME\``);
  return { partner, partnerRole: (role as PartnerRole | undefined) ?? 'guest_user' };
}

/** What an invite run decides for every address it records. */
export type InviteDetails = Pick<
  InviteSendRequest,
  'name' | 'familyName' | 'message' | 'actor' | 'invitedVia' | 'partnerId' | 'partnerRole'
>;

/**
 * Carries out a plan that sends something: records the invite and its email (or, for a
 * `resume`, picks up the email an earlier run left queued) and hands it to the run's delivery.
 * Must run inside `store.write()`, on its `tx`. Fills in `result`.
 */
export async function carryOutInvite(
  store: Store,
  workspace: Workspace,
  now: Date,
  delivery: RunDelivery,
  plan: Extract<Plan, { kind: 'new' | 'again' | 'resume' }>,
  details: InviteDetails,
  result: AddressResult,
): Promise<void> {
  result.outcome = 'invited';
  if (plan.kind === 'resume') {
    result.reason = RESUME_REASON;
    delivery.trackQueued(plan.outboxId, result);
    return;
  }
  const sent = await recordInviteSend(store, workspace, now, inviteRequest(plan, details, delivery));
  await settleRecorded(store, now, delivery, plan, sent, result);
}

/** What recording a `new` or `again` plan asks for. */
export function inviteRequest(plan: Extract<Plan, { kind: 'new' | 'again' }>, details: InviteDetails, delivery: RunDelivery): InviteSendRequest {
  const again = plan.kind === 'again' ? plan.guest : undefined;
  return {
    ...details,
    email: plan.email,
    name: details.name ?? again?.name ?? null,
    familyName: details.familyName ?? again?.familyName ?? null,
    existing: again,
    action: 'invite',
    route: delivery.route,
  };
}

/** After recording a plan (`sent` undefined: not recorded): the address's result, and its email to the delivery. */
export async function settleRecorded(
  store: Store,
  now: Date,
  delivery: RunDelivery,
  plan: Extract<Plan, { kind: 'new' | 'again' }>,
  sent: RecordedSend | undefined,
  result: AddressResult,
): Promise<void> {
  result.outcome = 'invited';
  if (!sent && plan.kind === 'new') {
    // Another process invited them between our look and our insert (PostgreSQL, many machines):
    // what the store holds now decides, as if this run had come second.
    const current = await planInvite(store, plan.email, iso(now));
    if (current.kind === 'skip' || current.kind === 'refuse') {
      result.outcome = current.kind === 'skip' ? 'skipped' : 'failed';
      result.reason = current.reason;
      return;
    }
    if (current.kind === 'resume') {
      // Its email is that run's to send (the lease would keep two from sending it anyway).
      result.outcome = 'skipped';
      result.reason = 'invited by another run at the same moment; that run sends the email';
      return;
    }
  }
  if (!sent) {
    result.outcome = 'failed';
    result.reason = 'it changed while this ran: run the command again';
    result.notDone = true;
    return;
  }
  result.expiresAt = sent.expiresAt;
  delivery.track(sent, result);
}

/** The guest a plan would touch, checked as they are now (SPEC §6). */
export function authorizePlan(actor: Actor, plan: Plan, target: { partner?: Partner; partnerRole?: PartnerRole }): void {
  if (plan.kind === 'again' || plan.kind === 'resume') authorize(actor, { action: 'invite', ...target, existing: plan.guest });
}

export async function runInvite(options: InviteOptions, f: Factory): Promise<Result<RunReport>> {
  const emails = addresses(options.emails, 'email address to invite');
  const name = requireName(options.name, '--name') ?? null;
  const familyName = requireName(options.familyName, '--family-name') ?? null;
  const message = requireMessage(options.message) ?? null;
  if ((name || familyName) && emails.length > 1) throw new UsageError('--name and --family-name apply to one address at a time');

  const { store, workspace, actor } = await openSession(f);
  const target = await resolvePartnerTarget(store, options.partner, options.role);
  authorize(actor, { action: 'invite', ...target });

  const now = f.now();
  const results: AddressResult[] = [];
  const delivery = options.dryRun ? undefined : await RunDelivery.begin(f, workspace, 1);

  const record = async (tx: Store) => {
    // Every address is planned and checked before anything is recorded: a refusal changes nothing.
    const plans = await planInvites(tx, emails, iso(now));
    for (const plan of plans) authorizePlan(actor, plan, target);
    for (const plan of plans) {
      if (plan.kind === 'skip') {
        results.push({ email: plan.email, outcome: 'skipped', reason: plan.reason });
      } else if (plan.kind === 'refuse') {
        results.push({ email: plan.email, outcome: 'failed', reason: plan.reason });
      } else if (options.dryRun) {
        results.push({ email: plan.email, outcome: 'would-invite', reason: plan.kind === 'again' ? plan.why : plan.kind === 'resume' ? RESUME_REASON : undefined });
      } else {
        const result: AddressResult = { email: plan.email, outcome: 'invited' };
        results.push(result);
        await carryOutInvite(tx, workspace, now, delivery!, plan, {
          name,
          familyName,
          message,
          actor: actor.email,
          invitedVia: target.partner ? 'partner' : 'members',
          partnerId: target.partner?.id ?? null,
          partnerRole: target.partnerRole ?? null,
        }, result);
      }
    }
  };
  // All invites of one run and their emails are stored in one transaction, before any SMTP traffic.
  if (options.dryRun) await record(store);
  else await store.write(record);

  await delivery?.finish();
  return runResult({ dryRun: options.dryRun, results, counts: countOutcomes(results) }, f);
}
