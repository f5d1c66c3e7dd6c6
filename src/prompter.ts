import { Writable, type Readable } from 'node:stream';
import { CancelledError, UsageError } from './errors.js';

/** The one way commands ask the user for something. Prompts go to stderr. */
export interface Prompter {
  /** True only when stdin and stdout are both terminals. */
  readonly interactive: boolean;
  input(message: string, options?: { default?: string; validate?: (value: string) => string | true }): Promise<string>;
  password(message: string, options?: { validate?: (value: string) => string | true }): Promise<string>;
  /** `signal` aborts the question (e.g. a page that redirects after a few seconds). */
  confirm(message: string, options?: { default?: boolean; signal?: AbortSignal }): Promise<boolean>;
  checkbox(message: string, choices: { name: string; value: string; checked?: boolean }[]): Promise<string[]>;
}

interface PrompterStreams {
  stdin: Readable;
  stderr: Writable;
  interactive: boolean;
}

/** @inquirer/prompts, loaded on first use, reading `stdin` and drawing on stderr. */
export function createPrompter(streams: PrompterStreams): Prompter {
  const context = (signal?: AbortSignal) => ({ input: streams.stdin, output: freshOutput(), clearPromptOnDone: false, signal });
  // A prompt ends its output stream when it closes; stderr must outlive many prompts, so each
  // prompt writes through a stream of its own.
  let current: Writable | undefined;
  const freshOutput = () => {
    if (!current || current.writableEnded) {
      current = new Writable({
        write(chunk, encoding, callback) {
          streams.stderr.write(chunk, encoding, callback);
        },
      });
    }
    return current;
  };
  const guard = async <T>(ask: () => Promise<T>): Promise<T> => {
    if (!streams.interactive) throw new UsageError('cannot prompt: standard input is not a terminal');
    try {
      return await ask();
    } catch (error) {
      if ((error as Error).name === 'AbortPromptError') throw error; // the caller's own signal: it decides
      if ((error as Error).name === 'ExitPromptError') throw new CancelledError();
      throw error;
    }
  };
  const inquirer = () => import('@inquirer/prompts');
  return {
    interactive: streams.interactive,
    input: (message, options) =>
      guard(async () => (await inquirer()).input({ message, default: options?.default, validate: options?.validate }, context())),
    password: (message, options) =>
      guard(async () => (await inquirer()).password({ message, mask: '*', validate: options?.validate }, context())),
    confirm: (message, options) =>
      guard(async () => (await inquirer()).confirm({ message, default: options?.default }, context(options?.signal))),
    checkbox: (message, choices) => guard(async () => (await inquirer()).checkbox({ message, choices }, context())),
  };
}

/**
 * A value from its flag, or else from a prompt on a terminal, or else a usage error
 * naming the flag: scripts never hang on a prompt.
 */
export async function valueOrPrompt(
  prompter: Prompter,
  value: string | undefined,
  flag: string,
  ask: (prompter: Prompter) => Promise<string>,
): Promise<string> {
  if (value !== undefined) return value;
  if (!prompter.interactive) throw new UsageError(`missing ${flag} (standard input is not a terminal, so there is no prompt)`);
  return ask(prompter);
}
