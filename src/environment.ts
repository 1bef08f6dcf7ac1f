/** What a step reads from the runner: its inputs and its environment. Types only. */

/** Reads one input, trimmed, '' when unset (as `core.getInput` does). */
export type InputReader = (name: string) => string
export type Environment = Readonly<Record<string, string | undefined>>
