import { addressKey } from '../address.js';
import { nextGuestState, type GuestEvent, type GuestState } from '../state/guest.js';
import { nextSetupState, type SetupEvent } from '../state/setup.js';
import { AuditRepository } from './audit.js';
import { inList, jsonRows, listParam, type Db } from './db.js';
import { OutboxRepository } from './outbox.js';
import type { Guest, GuestListRow, GuestStatus, InvitedVia, PartnerRole } from './types.js';

/**
 * The guest's lifecycle and account setup, applied as the tables in src/state/ say: each
 * step is one compare-and-set on the guest's row (its version, state and setup as the caller
 * read them) and its audit event, in one IMMEDIATE transaction. Slow work (scrypt) happens
 * before, outside; if anything moved meanwhile the step is not applied and the caller is
 * told what the row is now.
 */

/** `expired` is a pending row past its lifetime: the clock moves it, nothing writes it. */
export function guestState(guest: Pick<Guest, 'status' | 'expiresAt'>, now: string): GuestState {
  return guest.status === 'pending' && guest.expiresAt <= now ? 'expired' : guest.status;
}

const STATE_GUARD: Record<GuestState, string> = {
  pending: `status = 'pending' AND expires_at > @now`,
  expired: `status = 'pending' AND expires_at <= @now`,
  joined: `status = 'joined'`,
  revoked: `status = 'revoked'`,
};

export type StepResult = { applied: true; guest: Guest } | { applied: false; current: Guest | undefined };

interface Step {
  /** The guest as the caller read it: the step applies only to exactly that version. */
  guest: Guest;
  now: string;
  actor: string;
  /** A lifecycle event, or the state the guest must still be in for a setup-only step. */
  lifecycle: { event: GuestEvent } | { stays: GuestState };
  setup?: SetupEvent;
  /** More column assignments (SQL with @named parameters) and their parameters. */
  set?: string;
  /** One more condition (SQL) the row must meet. */
  guard?: string;
  params?: Record<string, unknown>;
  action: string;
  /** The audit detail; a function is called after `alongside`, so it can say what that did. */
  detail?: Record<string, unknown> | null | (() => Record<string, unknown>);
  /** Writes of the same transition (other tables, through `tx`), made only once the compare-and-set held. */
  alongside?: (tx: Db) => Promise<void>;
}

export interface NewSend {
  now: string;
  actor: string;
  expiresAt: string;
  detail: Record<string, unknown>;
}

const NEW_SEND = `expires_at = @expiresAt, last_sent_at = @now, send_count = send_count + 1, failed_signins = 0, locked_at = NULL`;

export interface InviteAgain extends NewSend {
  invitedBy: string;
  invitedVia: InvitedVia;
  message: string | null;
  partnerId: number | null;
  partnerRole: PartnerRole | null;
  name: string | null;
  familyName: string | null;
}

export type RevokeResult = StepResult & { cancelled: number; onTheirWay: number };

const GUEST_COLUMNS = `
  id, email, name, family_name AS "familyName", status, invited_by AS "invitedBy", invited_via AS "invitedVia",
  message, invited_at AS "invitedAt", last_sent_at AS "lastSentAt", send_count AS "sendCount",
  expires_at AS "expiresAt", joined_at AS "joinedAt", revoked_at AS "revokedAt", last_message_id AS "lastMessageId",
  partner_id AS "partnerId", partner_role AS "partnerRole", version, setup, failed_signins AS "failedSignins", locked_at AS "lockedAt"`;

export interface NewGuest {
  partnerId?: number | null;
  partnerRole?: PartnerRole | null;
  email: string;
  emailKey: string;
  name: string | null;
  familyName: string | null;
  invitedBy: string;
  invitedVia: InvitedVia;
  message: string | null;
  invitedAt: string;
  expiresAt: string;
}

/** How `list` may order guests; each with the email as a tie-breaker. */
export const GUEST_SORTS = ['invited', 'email', 'name', 'status', 'partner', 'expires'] as const;
export type GuestSort = (typeof GUEST_SORTS)[number];

const ORDER_BY: Record<GuestSort, string[]> = {
  invited: ['invitedAt', 'email'],
  email: ['email'],
  name: ['name', 'familyName', 'email'],
  status: ['status', 'email'],
  partner: ['partner', 'email'],
  expires: ['expiresAt', 'email'],
};

export interface GuestFilter {
  /** Any of these (none: all). */
  statuses?: readonly GuestStatus[];
  sort?: GuestSort;
  descending?: boolean;
  search?: string;
  /** Only guests of this partner. */
  partnerId?: number;
  now: string;
}

/** A row of the list query as an array, in the order of its SELECT. */
type GuestListTuple = [
  email: string,
  name: string | null,
  familyName: string | null,
  status: GuestListRow['status'],
  partner: string | null,
  partnerRole: string | null,
  invitedBy: string,
  invitedAt: string,
  lastSentAt: string | null,
  sendCount: number,
  expiresAt: string,
  joinedAt: string | null,
  delivery: GuestListRow['delivery'],
];

const guestListRow = (r: GuestListTuple): GuestListRow => ({
  email: r[0],
  name: r[1],
  familyName: r[2],
  status: r[3],
  partner: r[4],
  partnerRole: r[5],
  invitedBy: r[6],
  invitedAt: r[7],
  lastSentAt: r[8],
  sendCount: r[9],
  expiresAt: r[10],
  joinedAt: r[11],
  delivery: r[12],
});

/** The guests: their rows, and every step of their lifecycle and account setup. */
export class GuestRepository {
  constructor(private readonly db: Db) {}

  // ── rows ─────────────────────────────────────────────────────────────────

  find(emailKey: string): Promise<Guest | undefined> {
    return this.db.get(`SELECT ${GUEST_COLUMNS} FROM guests WHERE email_key = @emailKey`, { emailKey });
  }

  get(id: number): Promise<Guest | undefined> {
    return this.db.get(`SELECT ${GUEST_COLUMNS} FROM guests WHERE id = @id`, { id });
  }

  /** The guests with these address keys, by key (one statement for a batch). */
  async findMany(emailKeys: readonly string[]): Promise<Map<string, Guest>> {
    const rows = await this.db.all<Guest & { key: string }>(`SELECT ${GUEST_COLUMNS}, email_key AS key FROM guests WHERE ${inList(this.db.dialect, 'email_key', 'keys')}`, {
      keys: listParam(this.db.dialect, emailKeys),
    });
    return new Map(
      rows.map(({ key, ...guest }) => [key, guest]),
    );
  }

  /**
   * New guests, each with their first send counted, in one statement: their ids by address key.
   * An address taken meanwhile (another process invited it first) is left out: nothing written for it.
   */
  async insertMany(guests: readonly NewGuest[]): Promise<Map<string, number>> {
    if (guests.length === 0) return new Map();
    const source = jsonRows(this.db.dialect, 'rows', [
      ['email', 'text'],
      ['emailKey', 'text'],
      ['name', 'text'],
      ['familyName', 'text'],
      ['invitedBy', 'text'],
      ['invitedVia', 'text'],
      ['message', 'text'],
      ['invitedAt', 'timestamptz'],
      ['expiresAt', 'timestamptz'],
      ['partnerId', 'integer'],
      ['partnerRole', 'text'],
    ]);
    const rows = await this.db.all<{ id: number; key: string }>(
      `INSERT INTO guests (email, email_key, name, family_name, invited_by, invited_via, message, invited_at, expires_at, partner_id, partner_role,
                          status, last_sent_at, send_count)
       SELECT email, "emailKey", name, "familyName", "invitedBy", "invitedVia", message, "invitedAt", "expiresAt", "partnerId", "partnerRole",
              'pending', "invitedAt", 1
         FROM (SELECT ${source.select} FROM ${source.from}) AS given
        WHERE true
       ON CONFLICT (email_key) DO NOTHING RETURNING id, email_key AS key`,
      { rows: JSON.stringify(guests.map((g) => ({ ...g, partnerId: g.partnerId ?? null, partnerRole: g.partnerRole ?? null }))) },
    );
    return new Map(rows.map((r) => [r.key, r.id]));
  }

  /** Each of these guests' latest email is their last message (after `insertMany` and the outbox rows). */
  async setLastMessages(guestIds: readonly number[]): Promise<void> {
    if (guestIds.length === 0) return;
    await this.db.run(
      `UPDATE guests SET last_message_id = (SELECT max(o.id) FROM outbox o WHERE o.guest_id = guests.id) WHERE ${inList(this.db.dialect, 'id', 'ids')}`,
      { ids: listParam(this.db.dialect, guestIds) },
    );
  }

  async setLastMessage(guestId: number, messageRowId: number): Promise<void> {
    await this.db.run(`UPDATE guests SET last_message_id = @messageRowId WHERE id = @guestId`, { messageRowId, guestId });
  }

  async list(filter: GuestFilter): Promise<GuestListRow[]> {
    const rows: GuestListRow[] = [];
    for await (const batch of this.batches(filter)) rows.push(...batch);
    return rows;
  }

  /**
   * The same rows, a batch at a time: `list` streams a million of them without holding them
   * all. Nothing else may use the store until the batches are consumed (SQLite holds its one
   * connection for them; PostgreSQL a cursor in a read-only transaction).
   */
  async *batches(filter: GuestFilter, size = 1000): AsyncGenerator<GuestListRow[]> {
    const postgres = this.db.dialect === 'postgres';
    // PostgreSQL's LIKE tells case apart; SQLite's does not (ASCII): ILIKE reads as SQLite does.
    const like = postgres ? 'ILIKE' : 'LIKE';
    // A status list as a JSON array for SQLite, a text[] for PostgreSQL.
    const inStatuses = postgres ? `status = ANY(CAST(@statuses AS text[]))` : `status IN (SELECT value FROM json_each(@statuses))`;
    // Text in byte order on both (SQLite's BINARY; PostgreSQL's "C", whatever the database's
    // collation), NULLs first as SQLite puts them.
    const collate = postgres ? ' COLLATE "C"' : '';
    const textColumns = new Set(['email', 'name', 'familyName', 'status', 'partner']);
    const order = ORDER_BY[filter.sort ?? 'invited']
      .map((column) => `"${column}"${textColumns.has(column) ? collate : ''}${filter.descending ? ' DESC NULLS LAST' : ' NULLS FIRST'}`)
      .join(', ');
    const search = filter.search ? `%${filter.search.replace(/[\\%_]/g, (c) => `\\${c}`)}%` : '';
    const statuses = filter.statuses?.length ? filter.statuses : undefined;
    const rows = this.db.iterate<GuestListTuple>(
      `SELECT * FROM (
         SELECT g.email, g.name, g.family_name AS "familyName",
                CASE WHEN g.status = 'pending' AND g.expires_at <= @now THEN 'expired' ELSE g.status END AS status,
                p.name AS partner, g.partner_role AS "partnerRole",
                g.invited_by AS "invitedBy", g.invited_at AS "invitedAt", g.last_sent_at AS "lastSentAt",
                g.send_count AS "sendCount", g.expires_at AS "expiresAt", g.joined_at AS "joinedAt",
                CASE WHEN o.state IS NULL OR o.state = 'sending' THEN 'queued' ELSE o.state END AS delivery
           FROM guests g LEFT JOIN outbox o ON o.id = g.last_message_id LEFT JOIN partners p ON p.id = g.partner_id
          WHERE (@anyPartner OR g.partner_id = @partnerId)
            AND (@anyText
                 OR g.email ${like} @search ESCAPE '\\'
                 OR g.name ${like} @search ESCAPE '\\'
                 OR g.family_name ${like} @search ESCAPE '\\')
       ) AS listed
       WHERE @anyStatus OR ${inStatuses}
       ORDER BY ${order}`,
      {
        now: filter.now,
        anyText: !filter.search,
        search,
        anyStatus: !statuses,
        statuses: postgres ? (statuses ?? []) : JSON.stringify(statuses ?? []),
        anyPartner: filter.partnerId === undefined,
        partnerId: filter.partnerId ?? 0,
      },
      size,
    );
    // Arrays, then objects built here: per-row objects cost twice the query (100,000 rows).
    for await (const batch of rows) yield batch.map(guestListRow);
  }

  /** Guests whose invite can be resent: not joined, not revoked; optionally last sent before `sentBefore`. */
  resendable(sentBefore: string | null): Promise<Guest[]> {
    return this.db.all(
      `SELECT ${GUEST_COLUMNS} FROM guests
        WHERE status = 'pending' AND (@anyTime OR coalesce(last_sent_at, invited_at) <= @sentBefore)
        ORDER BY id`,
      { anyTime: sentBefore === null, sentBefore: sentBefore ?? '' },
    );
  }

  // ── transitions ──────────────────────────────────────────────────────────

  private async apply(step: Step): Promise<StepResult> {
    const { guest, now } = step;
    const from = guestState(guest, now);
    const to = 'event' in step.lifecycle ? nextGuestState(from, step.lifecycle.event) : from === step.lifecycle.stays ? from : undefined;
    const setup = step.setup === undefined ? guest.setup : nextSetupState(guest.setup, step.setup);
    if (to === undefined || setup === undefined) return { applied: false, current: await this.get(guest.id) };
    if (to === 'expired') throw new Error('expired is derived from expires_at and never written');
    return this.db.write(async (tx) => {
      const sql = `UPDATE guests SET status = @to, setup = @setup, version = version + 1${step.set ? `, ${step.set}` : ''}
                  WHERE id = @id AND version = @version AND setup = @fromSetup AND ${STATE_GUARD[from]}${step.guard ? ` AND ${step.guard}` : ''}`;
      const changed = (await tx.run(sql, { ...step.params, id: guest.id, version: guest.version, fromSetup: guest.setup, to, setup, now })) === 1;
      const guests = new GuestRepository(tx);
      if (!changed) return { applied: false, current: await guests.get(guest.id) };
      await step.alongside?.(tx);
      const detail = typeof step.detail === 'function' ? step.detail() : (step.detail ?? null);
      await new AuditRepository(tx).record({ at: now, actor: step.actor, action: step.action, target: addressKey(guest.email), detail });
      return { applied: true, guest: (await guests.get(guest.id))! };
    });
  }

  /** A new temporary password starts the account over: the old own password, MFA and devices go. */
  private static async forgetAccount(tx: Db, guestId: number): Promise<void> {
    await tx.run(`DELETE FROM guest_credentials WHERE guest_id = @guestId`, { guestId });
    await tx.run(`DELETE FROM trusted_devices WHERE guest_id = @guestId`, { guestId });
  }

  /**
   * A new send of the invite (resend, or invite again): send number + 1, a new lifetime, the
   * lock lifted; the old password, the account set up with it and any unsent email all stop.
   */
  private startNewSend(guest: Guest, send: NewSend, event: 'resend' | 'invite-again', more?: { set: string; params: Record<string, unknown> }): Promise<StepResult> {
    return this.apply({
      guest,
      now: send.now,
      actor: send.actor,
      lifecycle: { event },
      setup: 'start-over',
      set: more ? `${NEW_SEND}, ${more.set}` : NEW_SEND,
      params: { ...more?.params, expiresAt: send.expiresAt },
      action: event === 'resend' ? 'resend' : 'reinvite',
      detail: send.detail,
      alongside: async (tx) => {
        await GuestRepository.forgetAccount(tx, guest.id);
        await new OutboxRepository(tx).cancelAllOf(guest.id, { at: send.now, actor: send.actor, reason: 'not sent: superseded by a newer invite' });
      },
    });
  }

  /** resend: pending|expired → pending, keeping the inviter and message. */
  resend(guest: Guest, send: NewSend): Promise<StepResult> {
    return this.startNewSend(guest, send, 'resend');
  }

  /** invite again: expired|revoked → pending, as the new inviter's invite. */
  inviteAgain(guest: Guest, invite: InviteAgain): Promise<StepResult> {
    const { invitedBy, invitedVia, message, partnerId, partnerRole, name, familyName } = invite;
    return this.startNewSend(guest, invite, 'invite-again', {
      set: `revoked_at = NULL, joined_at = NULL, invited_by = @invitedBy, invited_at = @now, invited_via = @invitedVia,
          message = @message, partner_id = @partnerId, partner_role = @partnerRole, name = @name, family_name = @familyName`,
      params: { invitedBy, invitedVia, message, partnerId, partnerRole, name, familyName },
    });
  }

  /**
   * revoke: pending|expired|joined → revoked. In the same transaction every email of theirs that
   * has not started its SMTP transaction is cancelled (a sender re-checks just before it starts
   * one), and those already started are counted: they may still arrive, with a dead password.
   */
  async revoke(guest: Guest, at: { now: string; actor: string }): Promise<RevokeResult> {
    let cancelled = 0;
    let onTheirWay = 0;
    const result = await this.apply({
      guest,
      now: at.now,
      actor: at.actor,
      lifecycle: { event: 'revoke' },
      setup: guest.setup === 'device_trusted' ? 'drop-devices' : undefined,
      set: `revoked_at = @now`,
      action: 'revoke',
      alongside: async (tx) => {
        await tx.run(`DELETE FROM trusted_devices WHERE guest_id = @guestId`, { guestId: guest.id });
        ({ cancelled, onTheirWay } = await new OutboxRepository(tx).cancelAllOf(guest.id, { at: at.now, actor: at.actor, reason: 'not sent: the invite was revoked' }));
      },
      detail: () => ({ cancelledMessages: cancelled, messagesOnTheirWay: onTheirWay, ...(guest.status === 'joined' ? { wasJoined: true } : {}) }),
    });
    return { ...result, cancelled, onTheirWay };
  }

  /** Step 4: the guest's own password (scrypt, made before) and names; the temporary password stops working. */
  setOwnPassword(guest: Guest, step: { now: string; hash: string; name: string; familyName: string }): Promise<StepResult> {
    return this.apply({
      guest,
      now: step.now,
      actor: guest.email,
      lifecycle: { stays: 'pending' },
      setup: 'set-password',
      set: `name = @name, family_name = @familyName, failed_signins = 0`,
      params: { name: step.name, familyName: step.familyName },
      action: 'join.password',
      alongside: async (tx) => {
        await tx.run(
          `INSERT INTO guest_credentials (guest_id, password_hash, password_set_at) VALUES (@guestId, @hash, @now)
           ON CONFLICT (guest_id) DO UPDATE SET password_hash = excluded.password_hash, password_set_at = excluded.password_set_at,
             tos_accepted_at = NULL, totp_secret_enc = NULL, totp_last_step = NULL, mfa_enabled_at = NULL, apps = NULL, apps_recorded_at = NULL`,
          { guestId: guest.id, hash: step.hash, now: step.now },
        );
      },
    });
  }

  declineTerms(guest: Guest, now: string): Promise<StepResult> {
    return this.apply({ guest, now, actor: guest.email, lifecycle: { stays: 'pending' }, setup: 'decline-terms', action: 'join.tos-declined' });
  }

  /** Steps 5 and 6: accepting the Terms of Service is joining (pending → joined, in time). */
  acceptTerms(guest: Guest, now: string): Promise<StepResult> {
    return this.apply({
      guest,
      now,
      actor: guest.email,
      lifecycle: { event: 'join' },
      setup: 'accept-terms',
      set: `joined_at = @now`,
      action: 'join',
      alongside: async (tx) => {
        await tx.run(`UPDATE guest_credentials SET tos_accepted_at = @now WHERE guest_id = @guestId`, { now, guestId: guest.id });
      },
    });
  }

  /** Step 7a: a TOTP secret sealed under the guest's own password, waiting for its first code. */
  storeMfaSecret(guest: Guest, now: string, sealed: string): Promise<StepResult> {
    return this.apply({
      guest,
      now,
      actor: guest.email,
      lifecycle: { stays: 'joined' },
      setup: 'store-mfa-secret',
      action: 'join.mfa-secret',
      alongside: async (tx) => {
        await tx.run(`UPDATE guest_credentials SET totp_secret_enc = @sealed, totp_last_step = NULL WHERE guest_id = @guestId`, { sealed, guestId: guest.id });
      },
    });
  }

  /** A valid code for the stored secret turns MFA on; its time step is used up (never accepted twice). */
  turnOnMfa(guest: Guest, now: string, step: number): Promise<StepResult> {
    return this.apply({
      guest,
      now,
      actor: guest.email,
      lifecycle: { stays: 'joined' },
      setup: 'turn-on-mfa',
      guard: `EXISTS (SELECT 1 FROM guest_credentials c WHERE c.guest_id = guests.id AND (c.totp_last_step IS NULL OR c.totp_last_step < @step))`,
      params: { step },
      action: 'join.mfa',
      alongside: async (tx) => {
        await tx.run(`UPDATE guest_credentials SET totp_last_step = @step, mfa_enabled_at = @now WHERE guest_id = @guestId`, { step, now, guestId: guest.id });
      },
    });
  }

  recordApps(guest: Guest, now: string, apps: string[]): Promise<StepResult> {
    return this.apply({
      guest,
      now,
      actor: guest.email,
      lifecycle: { stays: 'joined' },
      setup: 'record-apps',
      action: 'join.apps',
      detail: { apps },
      alongside: async (tx) => {
        await tx.run(`UPDATE guest_credentials SET apps = @apps, apps_recorded_at = @now, pending_apps = NULL WHERE guest_id = @guestId`, {
          apps: JSON.stringify(apps),
          now,
          guestId: guest.id,
        });
      },
    });
  }

  trustDevice(guest: Guest, now: string, device: string): Promise<StepResult> {
    return this.apply({
      guest,
      now,
      actor: guest.email,
      lifecycle: { stays: 'joined' },
      setup: 'trust-device',
      action: 'join.device',
      detail: { device },
      alongside: async (tx) => {
        await tx.run(`INSERT INTO trusted_devices (guest_id, name, registered_at) VALUES (@guestId, @device, @now)`, { guestId: guest.id, device, now });
        await tx.run(`UPDATE guest_credentials SET pending_device = NULL WHERE guest_id = @guestId`, { guestId: guest.id });
      },
    });
  }
}
