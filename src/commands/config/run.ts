import { SETTING_KEYS, SETTINGS, type SettingKey, type SettingSource } from '../../config/settings.js';
import type { Factory } from '../../factory.js';
import { authorize } from '../../permissions.js';
import { ok, type Result } from '../../result.js';
import { openSession } from '../../session.js';
import { iso } from '../../time.js';

export interface SettingView {
  key: SettingKey;
  /** What this run would use, and from where; unset when none. */
  value: string | null;
  source: SettingSource | 'unset';
}

function view(f: Factory, key: SettingKey): SettingView {
  const resolved = f.setting(key);
  return { key, value: resolved?.value ?? null, source: resolved?.source ?? 'unset' };
}

/** Saves a delivery setting (checked first: a URL with a password, a loose password file… are refused). */
export async function runConfigSet(opts: { key: SettingKey; value: string }, f: Factory): Promise<Result<SettingView>> {
  const { store, actor } = await openSession(f);
  authorize(actor, { action: 'config.set' });
  const value = SETTINGS[opts.key].check(opts.value, f.cwd);
  const at = iso(f.now());
  await store.write(async (tx) => {
    await tx.settings.set(opts.key, value, actor.email, at);
    await tx.audit.record({ at, actor: actor.email, action: 'config.set', target: 'workspace', detail: { key: opts.key, value } });
  });
  return ok({ key: opts.key, value, source: 'saved' });
}

export async function runConfigUnset(opts: { key: SettingKey }, f: Factory): Promise<Result<{ key: SettingKey; removed: boolean }>> {
  const { store, actor } = await openSession(f);
  authorize(actor, { action: 'config.set' });
  const at = iso(f.now());
  const removed = await store.write(async (tx) => {
    const removed = await tx.settings.unset(opts.key);
    if (removed) await tx.audit.record({ at, actor: actor.email, action: 'config.unset', target: 'workspace', detail: { key: opts.key } });
    return removed;
  });
  return ok({ key: opts.key, removed });
}

/** The value a run would use for this key (flag > environment > saved), and where it comes from. */
export async function runConfigGet(opts: { key: SettingKey }, f: Factory): Promise<Result<SettingView>> {
  const { actor } = await openSession(f);
  authorize(actor, { action: 'config.list' });
  const setting = view(f, opts.key);
  return { status: setting.value === null ? 'failed' : 'ok', data: setting };
}

export async function runConfigList(_opts: object, f: Factory): Promise<Result<SettingView[]>> {
  const { actor } = await openSession(f);
  authorize(actor, { action: 'config.list' });
  return ok(SETTING_KEYS.map((key) => view(f, key)));
}
