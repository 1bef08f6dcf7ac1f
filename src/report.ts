import { TitledError } from './errors.js'
import type { ActionIO } from './io.js'

export { TitledError }

/** One annotation for a failure: its title says what kind, its message what to do. */
export function describeFailure(error: unknown): { title: string; message: string } {
  if (error instanceof TitledError) return { title: error.title, message: error.annotation }
  // A failure nothing named: a defect of the action. It may quote what it choked on, so it is
  // cut to a readable length, and it says what to do rather than leave a bare JavaScript error.
  const kind = error instanceof Error ? error.name : typeof error
  const message = error instanceof Error ? error.message : String(error)
  return {
    title: 'atlas-x509-action failed',
    message: `An unexpected ${kind} inside the action: ${message.slice(0, 2000)}. This is a defect of atlas-x509-action: re-run the step with debug logging and report it with that log.`
  }
}

/** The step's one error annotation, repeated in the step summary where people look first. */
export async function reportFailure(error: unknown, io: ActionIO): Promise<void> {
  const { title, message } = describeFailure(error)
  if (error instanceof Error && error.stack) io.debug(error.stack)
  io.fail(message, title)
  try {
    await io.summary('Atlas X.509 action failed', [
      ['Error', title],
      ['Detail', message]
    ])
  } catch (summaryError) {
    io.debug(`No step summary written: ${(summaryError as Error).message}`)
  }
}
