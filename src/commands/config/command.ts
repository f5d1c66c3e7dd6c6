import { Command } from '@commander-js/extra-typings';
import { oneOf } from '../../cli/args.js';
import { SETTING_KEYS, SETTINGS } from '../../config/settings.js';
import type { Factory } from '../../factory.js';
import { present } from '../../output/present.js';
import { runConfigGet, runConfigList, runConfigSet, runConfigUnset } from './run.js';

const RUN = { set: runConfigSet, get: runConfigGet, list: runConfigList, unset: runConfigUnset };
const KEYS = SETTING_KEYS.map((k) => `  ${k.padEnd(20)} ${SETTINGS[k].describe} (${SETTINGS[k].flag}, ${SETTINGS[k].env})`).join('\n');

export function newCmdConfig(f: Factory, runF: Partial<typeof RUN> = {}) {
  const run = { ...RUN, ...runF };
  const key = oneOf(SETTING_KEYS);
  const config = new Command('config')
    .description('saved delivery settings: set them once, every command uses them (a flag, then the environment, then these)')
    .addHelpText('after', `\nSettings:\n${KEYS}\n\nNone is a secret: the SMTP password stays in its 0600 file.\n\nExamples:\n  $ cerby-guests config set smtp smtp://mailer@smtp.acme.example:587\n  $ cerby-guests config list`);
  config
    .command('set')
    .description('save a setting in the store')
    .argument('<key>', SETTING_KEYS.join(', '), key)
    .argument('<value>', 'the value; see Settings in config --help')
    .addHelpText(
      'after',
      `
Examples:
  $ cerby-guests config set smtp smtp://mailer@smtp.acme.example:587
  $ cerby-guests config set smtp-password-file ~/.config/cerby-guests/smtp-password
  $ cerby-guests config set smtp-ca-file /etc/ssl/acme-ca.pem`,
    )
    .action((k, value) => present(f, run.set({ key: k, value }, f), { report: (s, r) => r.success(`Saved ${s.key} = ${s.value ?? ''}`) }));
  config
    .command('get')
    .description('the value a command would use, and where it comes from (exit 1 when unset)')
    .argument('<key>', SETTING_KEYS.join(', '), key)
    .addHelpText('after', '\nExample:\n  $ cerby-guests config get smtp')
    .action((k) => present(f, run.get({ key: k }, f), { print: (s, out) => s.value !== null && out.line(s.value) }));
  config
    .command('list', { isDefault: true })
    .description('every setting: its value and where it comes from (flag, environment, saved)')
    .addHelpText('after', '\nExample:\n  $ cerby-guests config list')
    .action(() =>
      present(f, run.list({}, f), {
        print: (rows, out) =>
          out.rows(rows, [
            { key: 'key', header: 'KEY' },
            { key: 'value', header: 'VALUE' },
            { key: 'source', header: 'FROM' },
          ]),
      }),
    );
  config
    .command('unset')
    .description('remove a saved setting')
    .argument('<key>', SETTING_KEYS.join(', '), key)
    .addHelpText('after', '\nExample:\n  $ cerby-guests config unset smtp-rate')
    .action((k) =>
      present(f, run.unset({ key: k }, f), { report: (s, r) => (s.removed ? r.success(`Removed the saved ${s.key}`) : r.info(`${s.key} was not saved`)) }),
    );
  return config;
}
