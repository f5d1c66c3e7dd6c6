import type { App } from '../../app.js';
import { UsageError } from '../../errors.js';
import { authorize } from '../../permissions.js';
import type { Partner } from '../../store/types.js';
import { iso } from '../../time.js';
import { emailInput, emailKey, nameProblem, requireEmail } from '../../validate.js';

export function requirePartner(app: App, name: string): Partner {
  const partner = app.store().partners.find(name);
  if (!partner) throw new UsageError(`no partner ${JSON.stringify(name.slice(0, 80))}: create it with \`cerby-guests partners create NAME\``);
  return partner;
}

export function validatePartnerName(text: string): string {
  const name = text.trim();
  if (!name) throw new UsageError('the partner name is empty');
  const problem = nameProblem(name, 'partner name');
  if (problem) throw new UsageError(`invalid partner name: ${problem}`);
  return name;
}

/** The member who creates a partner is its first Host Admin. */
export function runPartnersCreate(nameArg: string, app: App): Partner {
  const name = validatePartnerName(nameArg);
  const store = app.store();
  app.workspace();
  const actor = app.actor();
  authorize(actor, { action: 'partners.create' });
  if (store.partners.find(name)) throw new UsageError(`a partner named ${JSON.stringify(name)} exists already`);
  const at = iso(app.now());
  const id = store.write(() => {
    const id = store.partners.insert(name, actor.email, at);
    store.partners.addHost(id, actor.email, emailKey(actor.email), actor.email, at);
    store.audit.record({ at, actor: actor.email, action: 'partner.create', target: `partner:${name.toLowerCase()}`, detail: { name } });
    return id;
  });
  return { id, name, createdBy: actor.email, createdAt: at };
}

export function runPartnersAddHost(nameArg: string, emailArg: string, app: App): { partner: string; host: string; added: boolean } {
  const email = requireEmail(emailInput(emailArg));
  const store = app.store();
  app.workspace();
  const partner = requirePartner(app, nameArg);
  const actor = app.actor();
  authorize(actor, { action: 'partners.addHost', partner });
  const member = store.members.find(emailKey(email));
  if (!member) throw new UsageError(`${email} is not a workspace member: a Host Admin must be one (\`cerby-guests members add\`)`);
  const at = iso(app.now());
  const added = store.write(() => {
    const added = store.partners.addHost(partner.id, member.email, emailKey(member.email), actor.email, at);
    if (added) store.audit.record({ at, actor: actor.email, action: 'partner.host', target: `partner:${partner.name.toLowerCase()}`, detail: { host: member.email } });
    return added;
  });
  return { partner: partner.name, host: member.email, added };
}

export function runPartnersList(app: App) {
  app.store();
  app.workspace();
  authorize(app.actor(), { action: 'partners.list' });
  return app.store().partners.list();
}

export function runPartnersShow(nameArg: string, app: App) {
  const store = app.store();
  app.workspace();
  const partner = requirePartner(app, nameArg);
  authorize(app.actor(), { action: 'partners.show', partner });
  const guests = store.guests.list({ now: iso(app.now()), partnerId: partner.id });
  return {
    ...partner,
    hostAdmins: store.partners.hosts(partner.id).map((h) => h.email),
    guestAdmins: guests.filter((g) => g.partnerRole === 'guest_admin').map((g) => ({ email: g.email, status: g.status })),
    guestUsers: guests.filter((g) => g.partnerRole === 'guest_user').map((g) => ({ email: g.email, status: g.status })),
    accounts: store.accounts.ofPartner(partner.id),
  };
}
