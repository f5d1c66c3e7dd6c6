/**
 * A state machine as data: one row per allowed `(from, event) → to`, with a line of why.
 * Anything not in the table is refused. The store applies a row as one compare-and-set
 * together with its audit event; nothing else changes a state.
 */
export interface Transition<S extends string, E extends string> {
  from: S;
  event: E;
  to: S;
  why: string;
}

export type Table<S extends string, E extends string> = readonly Transition<S, E>[];

/** The state `event` moves `from` to, or undefined when the table does not allow it. */
export function nextState<S extends string, E extends string>(table: Table<S, E>, from: S, event: E): S | undefined {
  return table.find((t) => t.from === from && t.event === event)?.to;
}

/** The states an event may start from: the compare-and-set's guard. */
export function statesAllowing<S extends string, E extends string>(table: Table<S, E>, event: E): S[] {
  return table.filter((t) => t.event === event).map((t) => t.from);
}
