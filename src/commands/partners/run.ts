import { UsageError } from '../../errors.js';
import type { Factory } from '../../factory.js';
import { requirePartner, validatePartnerName } from '../../partners/partners.js';
import { authorize } from '../../permissions.js';
import { ok, type Result } from '../../result.js';
import { openSession } from '../../session.js';
import type { Partner } from '../../store/types.js';
import { iso } from '../../time.js';
import { emailInput, emailKey, requireEmail } from '../../validate.js';

/** The member who creates a partner is its first Host Admin. */
export async function runPartnersCreate(opts: { name: string }, f: Factory): Promise<Result<Partner>> {
  const name = validatePartnerName(opts.name);
  const { store, actor } = await openSession(f);
  authorize(actor, { action: 'partners.create' });
  if (await store.partners.find(name)) throw new UsageError(`a partner named ${JSON.stringify(name)} exists already`);
  const at = iso(f.now());
  const id = await store.write(async (tx) => {
    const id = await tx.partners.insert(name, actor.email, at);
    await tx.partners.addHost(id, actor.email, emailKey(actor.email), actor.email, at);
    await tx.audit.record({ at, actor: actor.email, action: 'partner.create', target: `partner:${name.toLowerCase()}`, detail: { name } });
    return id;
  });
  return ok({ id, name, createdBy: actor.email, createdAt: at });
}

export async function runPartnersAddHost(opts: { name: string; email: string }, f: Factory): Promise<Result<{ partner: string; host: string; added: boolean }>> {
  const email = requireEmail(emailInput(opts.email));
  const { store, actor } = await openSession(f);
  const partner = await requirePartner(store, opts.name);
  authorize(actor, { action: 'partners.addHost', partner });
  const member = await store.members.find(emailKey(email));
  if (!member) throw new UsageError(`${email} is not a workspace member: a Host Admin must be one (\`cerby-guests members add\`)`);
  const at = iso(f.now());
  const added = await store.write(async (tx) => {
    const added = await tx.partners.addHost(partner.id, member.email, emailKey(member.email), actor.email, at);
    if (added) await tx.audit.record({ at, actor: actor.email, action: 'partner.host', target: `partner:${partner.name.toLowerCase()}`, detail: { host: member.email } });
    return added;
  });
  return ok({ partner: partner.name, host: member.email, added });
}

export async function runPartnersList(_opts: object, f: Factory) {
  const { store, actor } = await openSession(f);
  authorize(actor, { action: 'partners.list' });
  return ok(await store.partners.list());
}

export async function runPartnersShow(opts: { name: string }, f: Factory) {
  const { store, actor } = await openSession(f);
  const partner = await requirePartner(store, opts.name);
  authorize(actor, { action: 'partners.show', partner });
  const guests = await store.guests.list({ now: iso(f.now()), partnerId: partner.id });
  return ok({
    ...partner,
    hostAdmins: (await store.partners.hosts(partner.id)).map((h) => h.email),
    guestAdmins: guests.filter((g) => g.partnerRole === 'guest_admin').map((g) => ({ email: g.email, status: g.status })),
    guestUsers: guests.filter((g) => g.partnerRole === 'guest_user').map((g) => ({ email: g.email, status: g.status })),
    accounts: await store.accounts.ofPartner(partner.id),
  });
}
