import { Command } from 'commander';
import type { AppFactory } from '../types.js';
import type { SmokeStep } from './run.js';

export function smokeCommand(makeApp: AppFactory): Command {
  return new Command('smoke')
    .description('CI check of the whole path in a throw-away store: init, invite, the email, join, list; exit 0 only if every step worked')
    .option('--to <email>', 'where the smoke invite goes (through the configured SMTP)', 'smoke@example.com')
    .option('--keep', 'keep the throw-away store and the email copies (the folder is printed)')
    .addHelpText('after', '\nExamples:\n  $ cerby-guests smoke\n  $ cerby-guests smoke --smtp smtp://127.0.0.1:1025 --to ci@acme.example')
    .action(async (opts: { to: string; keep?: boolean }, command: Command) => {
      const app = makeApp(command);
      const print = (steps: SmokeStep[]) => {
        if (app.json) app.io.stdout.write(`${JSON.stringify(steps, null, 2)}\n`);
        else for (const s of steps) app.io.stdout.write(`${s.ok ? app.color.green('✓') : app.color.red('✗')} ${s.step} (${s.ms} ms): ${s.detail}\n`);
      };
      try {
        const { runSmoke } = await import('./run.js');
        const { steps, folder } = await runSmoke(opts, app);
        print(steps);
        if (opts.keep) app.info(`kept ${folder}`);
      } catch (error) {
        const steps = (error as { steps?: SmokeStep[] }).steps;
        if (steps) print(steps);
        throw error;
      }
    });
}
