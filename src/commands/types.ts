import type { Command } from 'commander';
import type { App } from '../app.js';

/** Builds the App for a parsed command (global flags included). */
export type AppFactory = (command: Command) => App;
