/**
 * What a command reports back: its data and how it went. `cli.ts` alone turns a status (or a
 * typed error) into an exit code (SPEC §9); commands never pick numbers.
 */
export type Status = 'ok' | 'partial' | 'failed' | 'usage' | 'denied';

export interface Result<T> {
  status: Status;
  data: T;
}

export const ok = <T>(data: T): Result<T> => ({ status: 'ok', data });

/** How one item of a run (an address, a CSV row, a message) ended. */
export type ItemEnd =
  /** Done, or nothing to do (already pending, skipped on purpose). */
  | 'done'
  /** Not done because of the input: an invalid address, a member, a joined guest, a refusal. */
  | 'bad-input'
  /** Not done for another reason: delivery failed, SMTP down, the store. */
  | 'not-done';

/**
 * The one rule for a run over many items: all done → ok; some done and some not → partial;
 * none done → usage if every failure was bad input, else failed. An empty run is ok.
 */
export function runStatus(ends: Iterable<ItemEnd>): Status {
  let done = 0;
  let badInput = 0;
  let notDone = 0;
  for (const end of ends) {
    if (end === 'done') done++;
    else if (end === 'bad-input') badInput++;
    else notDone++;
  }
  if (badInput + notDone === 0) return 'ok';
  if (done > 0) return 'partial';
  return notDone === 0 ? 'usage' : 'failed';
}
