import type { ChalkInstance } from 'chalk';
import type { Deps } from './deps.js';
import type { DeliveryOptions } from './delivery/deliver.js';
import type { Factory, GlobalFlags } from './factory.js';
import type { Mailer } from './mail/mailer.js';
import type { Actor } from './permissions.js';
import { openSession } from './session.js';
import type { Store } from './store/store.js';
import type { Workspace } from './store/types.js';

export { DEFAULT_DB } from './factory.js';
export type GlobalOptions = GlobalFlags;

/**
 * Transitional: the commands not yet moved to the Factory and per-command options still take
 * an App. It only forwards to the Factory; it goes away with the last of them.
 */
export class App {
  /** What the command decided; runCli returns it when set. */
  exitCode?: number;

  constructor(readonly f: Factory) {}

  get io(): Deps['io'] {
    return this.f.io;
  }
  get prompter(): Deps['prompter'] {
    return this.f.prompter;
  }
  get now(): () => Date {
    return this.f.now;
  }
  get env(): Deps['env'] {
    return this.f.env;
  }
  get deps(): Deps {
    return this.f.deps;
  }
  get color(): ChalkInstance {
    return this.f.color;
  }
  get colorErr(): ChalkInstance {
    return this.f.colorErr;
  }
  get json(): boolean {
    return this.f.json;
  }
  get dbPath(): string {
    return this.f.dbPath;
  }
  initHint(): string {
    return this.f.initHint();
  }
  store(): Store {
    return this.f.store();
  }
  createStore(): Store {
    return this.f.createStore();
  }
  workspace(): Workspace {
    return openSession(this.f).workspace;
  }
  actor(): Actor {
    return openSession(this.f).actor;
  }
  smtpUrl(): string | undefined {
    return this.f.smtpUrl();
  }
  mailer(concurrency = 1): Mailer {
    return this.f.mailer(concurrency);
  }
  useMailer(mailer: Mailer): void {
    this.f.useMailer(mailer);
  }
  deliveryOptions(concurrency = 1): DeliveryOptions {
    return this.f.deliveryOptions(concurrency);
  }
  success(line: string): void {
    this.f.reporter.success(line);
  }
  info(line: string): void {
    this.f.reporter.info(line);
  }
  warn(line: string): void {
    this.f.reporter.warn(line);
  }
  close(): void {
    this.f.close();
  }
}
