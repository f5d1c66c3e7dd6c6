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
  /**
   * A yes/no question that answers itself after `seconds`, counting down on its line (a page
   * that redirects): 'timeout' when nobody answered in time.
   */
  countdown(message: string, seconds: number): Promise<'yes' | 'no' | 'timeout'>;
  /**
   * Several of many, like the web app's Guest tab: type to filter, space to pick, enter to
   * confirm (with nothing picked, the highlighted one).
   */
  pick(message: string, choices: PickChoice[]): Promise<string[]>;
}

export interface PickChoice {
  value: string;
  /** What the filter matches and the list shows first. */
  name: string;
  /** Shown after the name, dimmed: status, when it was sent. */
  detail?: string;
}

interface PrompterStreams {
  stdin: Readable;
  stderr: Writable;
  interactive: boolean;
  /** The terminal's width: prompts wrap there, not at inquirer's default 80. */
  columns?: number;
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
        // Passed on at once, in order: a line the tool prints after a prompt never lands on
        // the prompt's line because the prompt's last bytes were still queued here.
        write(chunk, encoding, callback) {
          streams.stderr.write(chunk, encoding);
          callback();
        },
      });
      if (streams.columns) Object.assign(current, { columns: streams.columns });
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
    countdown: (message, seconds) => guard(async () => (await countdownPrompt())({ message, seconds }, context())),
    pick: (message, choices) => guard(async () => (await pickPrompt())({ message, choices }, context())),
  };
}

/** Rows of the list shown at once; the rest scroll. */
const PICK_PAGE = 10;

let pickPromptLoaded: Promise<(config: { message: string; choices: PickChoice[] }, context: object) => Promise<string[]>> | undefined;

/** A filterable multi-select (inquirer's checkbox cannot filter, its search cannot pick several). */
function pickPrompt() {
  pickPromptLoaded ??= import('@inquirer/core').then(({ createPrompt, useState, useKeypress, usePrefix, isEnterKey, isSpaceKey, isUpKey, isDownKey }) =>
    createPrompt<string[], { message: string; choices: PickChoice[] }>((config, done) => {
      const [filter, setFilter] = useState('');
      const [active, setActive] = useState(0);
      const [picked, setPicked] = useState<string[]>([]);
      const [answer, setAnswer] = useState<string[] | undefined>(undefined);
      const [problem, setProblem] = useState<string | undefined>(undefined);
      const prefix = usePrefix({ status: answer ? 'done' : 'idle' });
      const needle = filter.toLowerCase();
      const shown = config.choices.filter((c) => c.name.toLowerCase().includes(needle));
      useKeypress((key, rl) => {
        if (answer) return;
        if (isEnterKey(key)) {
          const chosen = picked.length > 0 ? picked : shown[active] ? [shown[active].value] : [];
          if (chosen.length === 0) {
            setProblem('nothing matches: change the filter');
            return;
          }
          setAnswer(chosen);
          done(chosen);
        } else if (isUpKey(key) || isDownKey(key)) {
          if (shown.length > 0) setActive((active + (isUpKey(key) ? shown.length - 1 : 1)) % shown.length);
        } else if (isSpaceKey(key)) {
          const here = shown[active];
          if (here) setPicked(picked.includes(here.value) ? picked.filter((v) => v !== here.value) : [...picked, here.value]);
          // The space is a pick, not part of the filter (addresses hold none).
          rl.clearLine(0);
          rl.write(filter);
        } else {
          // Everything typed is the filter; readline keeps the line (backspace included).
          setFilter(rl.line.replace(/ /g, ''));
          setActive(0);
          setProblem(undefined);
        }
      });
      if (answer) return `${prefix} ${config.message} ${answer.join(', ')}`;
      const start = Math.min(Math.max(0, active - Math.floor(PICK_PAGE / 2)), Math.max(0, shown.length - PICK_PAGE));
      const rows = shown.slice(start, start + PICK_PAGE).map((c, i) => {
        const cursor = start + i === active ? '❯' : ' ';
        const box = picked.includes(c.value) ? '◉' : '◯';
        return `${cursor} ${box} ${c.name}${c.detail ? `  ${c.detail}` : ''}`;
      });
      const status = `(${shown.length} of ${config.choices.length} shown, ${picked.length} picked · type to filter, space to pick, enter to confirm)`;
      return [`${prefix} ${config.message} ${filter}`, [...rows, problem ?? status].join('\n')];
    }),
  );
  return pickPromptLoaded;
}

type CountdownAnswer = 'yes' | 'no' | 'timeout';

let countdownPromptLoaded: Promise<(config: { message: string; seconds: number }, context: object) => Promise<CountdownAnswer>> | undefined;

/** A confirm whose line shows the seconds left (inquirer's own confirm cannot redraw on a timer). */
function countdownPrompt() {
  countdownPromptLoaded ??= import('@inquirer/core').then(({ createPrompt, useState, useEffect, useKeypress, usePrefix, isEnterKey }) =>
    createPrompt<CountdownAnswer, { message: string; seconds: number }>((config, done) => {
      const [left, setLeft] = useState(config.seconds);
      const [answer, setAnswer] = useState<CountdownAnswer | undefined>(undefined);
      const prefix = usePrefix({ status: answer ? 'done' : 'idle' });
      useEffect(() => {
        if (answer) return;
        if (left <= 0) {
          setAnswer('timeout');
          done('timeout');
          return;
        }
        // Whole seconds on screen; a fraction (--wait-seconds 0.5) is waited exactly.
        const tick = left % 1 || 1;
        const timer = setTimeout(() => setLeft(Math.max(0, left - tick)), tick * 1000);
        return () => clearTimeout(timer);
      }, [left, answer]);
      useKeypress((key) => {
        if (answer) return;
        const picked = isEnterKey(key) || key.name === 'y' ? 'yes' : key.name === 'n' ? 'no' : undefined;
        if (!picked) return;
        setAnswer(picked);
        done(picked);
      });
      if (answer) return `${prefix} ${config.message} ${answer === 'yes' ? 'Yes' : answer === 'no' ? 'No' : '(no answer: redirected)'}`;
      return `${prefix} ${config.message} (Y/n) redirecting in ${Math.ceil(left)} s`;
    }),
  );
  return countdownPromptLoaded;
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
