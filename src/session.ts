import { UsageError } from './errors.js';
import type { Factory } from './factory.js';
import { resolveActor, type Actor } from './permissions.js';
import type { Store } from './store/store.js';
import type { Workspace } from './store/types.js';

/** What most commands start from: the store, its workspace, and who is acting. */
export interface Session {
  store: Store;
  workspace: Workspace;
  actor: Actor;
}

/** Opens the store and finds the workspace and the actor; a store without `init` says which `init` to run. */
export async function openSession(f: Factory): Promise<Session> {
  const store = await f.store();
  const workspace = await store.workspace.get();
  if (!workspace) throw new UsageError(`no workspace yet in ${f.storeDescription}: run \`${f.initHint()}\` first`);
  return { store, workspace, actor: await resolveActor(store, f.actorEmail) };
}
