import { Command, CommanderError, Option, type CommandUnknownOpts } from '@commander-js/extra-typings';
import { newCmdAccounts } from './commands/accounts/command.js';
import { newCmdCompletion } from './commands/completion/command.js';
import { newCmdConfig } from './commands/config/command.js';
import { newCmdDoctor } from './commands/doctor/command.js';
import { newCmdImport } from './commands/import/command.js';
import { newCmdJoin } from './commands/join/command.js';
import { newCmdSmoke } from './commands/smoke/command.js';
import { newCmdMigrate } from './commands/migrate/command.js';
import { newCmdUnlock } from './commands/unlock/command.js';
import { newCmdPartners } from './commands/partners/command.js';
import { newCmdShare, newCmdUnshare } from './commands/share/command.js';
import { newCmdWorkspace } from './commands/workspace/command.js';
import { newCmdInit } from './commands/init/command.js';
import { newCmdInvite } from './commands/invite/command.js';
import { newCmdList } from './commands/list/command.js';
import { newCmdMembers } from './commands/members/command.js';
import { newCmdOutbox } from './commands/outbox/command.js';
import { newCmdResend } from './commands/resend/command.js';
import { newCmdRevoke } from './commands/revoke/command.js';
import { newCmdShow } from './commands/show/command.js';
import type { Deps } from './deps.js';
import { CliError, errnoText, ExitCode } from './errors.js';
import { Factory, type GlobalFlags, type Providers } from './factory.js';
import type { Status } from './result.js';
import { colorLevel, makeChalk } from './color.js';
import { storeFailure } from './store/errors.js';

/** Waits until what was written to stdout has gone (or failed): then an error is known. */
async function outputSettled(deps: Deps): Promise<NodeJS.ErrnoException | undefined> {
  if (!deps.io.stdoutError) return undefined;
  // A failed write reports itself on a later tick: let it.
  await new Promise<void>((resolve) => setImmediate(resolve));
  const stdout = deps.io.stdout;
  if (stdout.writableLength > 0 && !stdout.destroyed) {
    await new Promise<void>((resolve) => {
      stdout.once('drain', resolve);
      stdout.once('error', () => resolve());
      stdout.once('close', resolve);
    });
  }
  return deps.io.stdoutError();
}

/** The global flags out of commander's merged options (typed by the root command's definitions). */
function globalFlags(options: Record<string, unknown>): GlobalFlags {
  const text = (key: string) => (typeof options[key] === 'string' ? options[key] : undefined);
  const flag = (key: string) => (typeof options[key] === 'boolean' ? options[key] : undefined);
  return {
    db: text('db'),
    dbPasswordFile: text('dbPasswordFile'),
    smtp: text('smtp'),
    smtpPasswordFile: text('smtpPasswordFile'),
    smtpCaFile: text('smtpCaFile'),
    smtpHelo: text('smtpHelo'),
    rate: text('rate'),
    as: text('as'),
    json: flag('json'),
    color: flag('color'),
    verbose: flag('verbose'),
  };
}

/** SPEC §9: the one place a command's status becomes an exit code. */
export const EXIT_CODES: Record<Status, number> = {
  ok: ExitCode.ok,
  failed: ExitCode.failure,
  usage: ExitCode.usage,
  partial: ExitCode.partial,
  denied: ExitCode.notPermitted,
};

export function buildProgram(f: Factory): CommandUnknownOpts {
  const deps = f.deps;
  const program = new Command('cerby-guests')
    .description("Invite and manage a Cerby workspace's guest users from the terminal.")
    .version(deps.version, '-V, --version', 'print the version')
    .option('--db <path>', 'the store (env CERBY_GUESTS_DB; default ./cerby-guests.db)')
    .option('--db-password-file <file>', 'read the PostgreSQL password from this 0600 file (env CERBY_GUESTS_DB_PASSWORD_FILE; else PGPASSWORD, ~/.pgpass)')
    .option('--smtp <url>', 'SMTP server, e.g. smtp://user@host:587 (env CERBY_GUESTS_SMTP_URL; default: write .eml files to the outbox folder)')
    .option('--smtp-password-file <file>', 'read the SMTP password from this 0600 file (env CERBY_GUESTS_SMTP_PASSWORD_FILE)')
    .option('--smtp-ca-file <file>', "trust this CA (PEM) for the SMTP server's certificate (env CERBY_GUESTS_SMTP_CA_FILE)")
    .option('--smtp-helo <name>', "the name given in EHLO (env CERBY_GUESTS_SMTP_HELO; default the sender's domain)")
    .option('--rate <n/unit>', 'send at most this many emails per s, m or h, e.g. 10/s (env CERBY_GUESTS_SMTP_RATE)')
    .option('--as <email>', 'act as this member (env CERBY_GUESTS_ACTOR; default the workspace owner)')
    .option('--json', 'print results as JSON')
    .option('--verbose', 'one line per delivery attempt on stderr (never message bodies or credentials)')
    .addOption(new Option('--no-color', 'no color (also NO_COLOR=1)'))
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText(
      'after',
      `
Exit codes: 0 done, 1 failure, 2 bad usage or input, 3 partly done, 4 not permitted, 130 cancelled.

Examples:
  $ cerby-guests init --workspace Acme --owner owner@acme.example
  $ cerby-guests invite guest@partner.example --message "Welcome aboard"
  $ cerby-guests list`,
    );

  for (const command of [
    newCmdInit(f),
    newCmdMembers(f),
    newCmdInvite(f),
    newCmdResend(f),
    newCmdRevoke(f),
    newCmdUnlock(f),
    newCmdList(f),
    newCmdShow(f),
    newCmdOutbox(f),
    newCmdPartners(f),
    newCmdAccounts(f),
    newCmdShare(f),
    newCmdUnshare(f),
    newCmdImport(f),
    newCmdWorkspace(f),
    newCmdJoin(f),
    newCmdConfig(f),
    newCmdDoctor(f),
    newCmdSmoke(f),
    newCmdMigrate(f),
    newCmdCompletion(f),
  ]) {
    program.addCommand(command as CommandUnknownOpts);
  }
  return program;
}

/** Applies the same error handling to every command: commander never exits the process itself. */
function configureTree(command: CommandUnknownOpts, deps: Deps, errorPrefix: (s: string) => string): void {
  command.exitOverride();
  command.configureOutput({
    writeOut: (s) => deps.io.stdout.write(s),
    writeErr: (s) => deps.io.stderr.write(s),
    outputError: (s, write) => write(errorPrefix(s.replace(/^error: /, ''))),
  });
  // Every command's help lists the global options too (--db, --json, --as, …).
  command.configureHelp({ showGlobalOptions: true });
  if (command.commands.length > 0) {
    // A group with a default subcommand (`outbox` → `outbox list`) would hand a typo to it as an
    // argument ("too many arguments"): say "unknown command" with a suggestion, as groups without one do.
    command.hook('preSubcommand', (group, sub) => {
      const word = group.args[0];
      if (word !== undefined && !word.startsWith('-') && word !== sub.name() && !sub.aliases().includes(word)) {
        (group as unknown as { unknownCommand(): never }).unknownCommand();
      }
    });
  }
  for (const sub of command.commands) configureTree(sub, deps, errorPrefix);
}

/**
 * Runs one command line and returns its exit code. Every expected error becomes one stderr
 * line and its code from SPEC §9 here, and only here; a stack trace only with CERBY_GUESTS_DEBUG=1.
 */
export async function runCli(argv: readonly string[], deps: Deps, providers: Providers = {}): Promise<number> {
  const f = new Factory(deps, providers);
  const colorErr = makeChalk(colorLevel(deps.io.stderrIsTTY, deps.env, argv.includes('--no-color') ? false : undefined));
  const prefix = (message: string) => `${colorErr.red('cerby-guests:')} ${message}`;
  const program = buildProgram(f);
  program.hook('preAction', (_root, action) => f.configure(globalFlags(action.optsWithGlobals())));
  configureTree(program, deps, prefix);
  try {
    // `cerby-guests` alone is a request for help, not a mistake: stdout, exit 0.
    if (argv.length === 0) {
      program.outputHelp();
      return ExitCode.ok;
    }
    await program.parseAsync([...argv], { from: 'user' });
    await f.outputDone;
    const stdoutError = await outputSettled(deps);
    if (stdoutError) {
      deps.io.stderr.write(`${prefix(`cannot write the output: ${errnoText(stdoutError.code) ?? stdoutError.message}; the command's own work is done`)}\n`);
      return ExitCode.failure;
    }
    // A run a signal stopped cleanly printed its summary; its exit code names the signal.
    if (f.interruption) return f.interruption.exitCode;
    return EXIT_CODES[f.status];
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help') {
        return ExitCode.ok;
      }
      // commander.executeSubCommandAsync etc. never happen here; everything else is usage.
      return error.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
    }
    if (error instanceof CliError) {
      deps.io.stderr.write(`${prefix(error.message)}\n`);
      return error.exitCode;
    }
    // A full disk or a store error: one line with what to do; anything else "unexpected error".
    const failure = storeFailure(error);
    deps.io.stderr.write(`${prefix(failure.message)}\n`);
    if (deps.env.CERBY_GUESTS_DEBUG === '1' && error instanceof Error && error.stack) deps.io.stderr.write(`${error.stack}\n`);
    return failure.exitCode;
  } finally {
    await f.close();
  }
}
