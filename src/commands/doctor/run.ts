import fs from 'node:fs';
import os from 'node:os';
import { address } from '../../address.js';
import { probeSmtp } from '../../mail/probe.js';
import type { SmtpConfig } from '../../mail/smtp-config.js';
import { emailInput, requireEmail } from '../../validate.js';
import type { Factory } from '../../factory.js';
import type { Result } from '../../result.js';
import { SCHEMA_VERSION } from '../../store/migrations.js';
import { PG_SCHEMA_VERSION } from '../../store/pg/migrations.js';
import type { Member, Workspace } from '../../store/types.js';
import { storeFilePaths } from '../../store/store.js';

export interface Check {
  check: string;
  ok: boolean;
  detail: string;
}

function modeOf(file: string): number | undefined {
  try {
    return fs.statSync(file).mode & 0o777;
  } catch {
    return undefined;
  }
}

const octal = (mode: number) => mode.toString(8).padStart(4, '0');

/** File modes are read before the store is opened: opening tightens them, and doctor must see what was there. */
function fileModeCheck(app: Factory): Check {
  const loose: string[] = [];
  for (const file of storeFilePaths(app.dbPath)) {
    const mode = modeOf(file);
    if (mode !== undefined && mode & 0o077) loose.push(`${file} is ${octal(mode)}`);
  }
  const folder = app.outboxFolder;
  if (fs.existsSync(folder)) {
    const mode = modeOf(folder)!;
    if (mode & 0o077) loose.push(`${folder} is ${octal(mode)}`);
    for (const name of fs.readdirSync(folder)) {
      const mode = modeOf(`${folder}/${name}`);
      if (mode !== undefined && mode & 0o077) loose.push(`${folder}/${name} is ${octal(mode)}`);
    }
  }
  return loose.length
    ? { check: 'file modes', ok: false, detail: `${loose.join('; ')} (store files are set to 0600 when opened; check the outbox files)` }
    : { check: 'file modes', ok: true, detail: 'store files 0600, outbox folder private' };
}

/**
 * One line per check, for CI: the store (opens, schema, integrity, modes) and the mail path:
 * connect, TLS (certificate subject, issuer, days left), AUTH, and a sender probe (MAIL FROM
 * the workspace sender, RCPT TO --to or the owner, then RSET: nothing is sent). Exit 0 only if all pass.
 */
export interface DoctorOptions {
  /** The recipient to probe (RCPT TO, then RSET: nothing is sent); the workspace owner if not given. */
  to?: string;
}

export async function runDoctor(opts: DoctorOptions, app: Factory): Promise<Result<Check[]>> {
  if (opts.to !== undefined) opts = { ...opts, to: address(requireEmail(emailInput(opts.to), '--to')).ascii };
  const checks = await doctorChecks(opts, app);
  return { status: checks.every((c) => c.ok) ? 'ok' : 'failed', data: checks };
}

async function doctorChecks(opts: DoctorOptions, app: Factory): Promise<Check[]> {
  const checks: Check[] = [];
  if (!app.storeIsPostgres) {
    if (!fs.existsSync(app.dbPath)) {
      checks.push({ check: 'store opens', ok: false, detail: `no store at ${app.dbPath}: run \`${app.initHint()}\`` });
      return checks;
    }
    checks.push(fileModeCheck(app));
  }
  let owner: Member | undefined;
  let workspace: Workspace | undefined;
  try {
    const store = await app.store();
    checks.push({ check: 'store opens', ok: true, detail: app.storeDescription });
    const server = await store.server();
    if (server) {
      checks.push({ check: 'server', ok: true, detail: `PostgreSQL ${server.version}` });
      const sslMode = app.pgStoreTarget?.sslMode;
      checks.push({ check: 'connection', ok: true, detail: `${server.tls ?? 'not encrypted (no TLS)'}, sslmode=${sslMode}` });
    }
    const version = await store.schemaVersion();
    const expected = store.dialect === 'postgres' ? PG_SCHEMA_VERSION : SCHEMA_VERSION;
    checks.push({
      check: 'schema version',
      ok: version === expected,
      detail: version === expected ? `${version} (current)` : `${version}, this version expects ${expected}`,
    });
    const integrity = store.integrityCheck();
    if (integrity !== undefined) checks.push({ check: 'integrity', ok: integrity === 'ok', detail: integrity });
    owner = await store.members.firstOwner();
    workspace = await store.workspace.get();
    checks.push(
      workspace
        ? { check: 'workspace', ok: true, detail: `${workspace.name}, ${(await store.members.list()).length} member(s)` }
        : { check: 'workspace', ok: false, detail: `none: run \`${app.initHint()}\`` },
    );
    const counts = await store.outbox.counts();
    checks.push({
      check: 'outbox',
      ok: true,
      detail: Object.entries(counts)
        .map(([state, n]) => `${state} ${n}`)
        .join(', '),
    });
  } catch (error) {
    checks.push({ check: 'store opens', ok: false, detail: (error as Error).message });
    return checks;
  }
  const url = app.smtpUrl();
  if (url !== undefined) {
    const sender = workspace ? address(workspace.sender).ascii : `postmaster@${os.hostname()}`;
    let config: SmtpConfig;
    try {
      config = app.smtpConfig(url);
    } catch (error) {
      checks.push({ check: 'smtp connect', ok: false, detail: (error as Error).message });
      return checks;
    }
    // Postfix and others refuse a sender or client only at RCPT (smtpd_delay_reject): a recipient is always
    // probed — --to, else the workspace owner, a real mailbox the relay should take.
    const recipient = opts.to ?? (owner ? address(owner.email).ascii : undefined);
    checks.push(...(await probeSmtp(config, { sender, recipient, recipientIsDefault: opts.to === undefined, now: app.now })));
    return checks;
  }
  const mailer = app.mailer();
  try {
    await mailer.verify();
    checks.push({
      check: mailer.kind === 'smtp' ? 'smtp' : 'outbox folder',
      ok: true,
      detail: mailer.kind === 'smtp' ? `${mailer.description}: connected, TLS and authentication as configured` : `${mailer.description} is writable`,
    });
  } catch (error) {
    const e = error as { code?: string; response?: string; message?: string };
    checks.push({
      check: mailer.kind === 'smtp' ? 'smtp' : 'outbox folder',
      ok: false,
      detail: `${mailer.description}: ${(e.response ?? e.message ?? String(error)).replace(/\s+/g, ' ').slice(0, 300)}`,
    });
  }
  return checks;
}
