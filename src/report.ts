import {
  AtlasApiError,
  AtlasProtocolError,
  AtlasUnreachableError,
  OutcomeUnknownError
} from './atlas/errors.js'
import { hintFor } from './atlas/hints.js'
import { CertificateFileError } from './certificate/file.js'
import { CertificateResponseError } from './certificate/pem.js'
import { GitHubSecretNotStoredError } from './github/errors.js'
import { InputError } from './inputs/inputs.js'
import type { ActionIO } from './io.js'

/** A failure that is none of Atlas's errors and names itself: its title is the annotation's. */
export class TitledError extends Error {
  constructor(
    readonly title: string,
    message: string
  ) {
    super(message)
    this.name = 'TitledError'
  }
}

/** One annotation for a failure: its title says what kind, its message what to do. */
export function describeFailure(error: unknown): { title: string; message: string } {
  if (error instanceof InputError)
    return { title: `Invalid input: ${error.input}`, message: error.message }
  if (error instanceof AtlasApiError) {
    const hint = hintFor(error)
    return {
      title: `Atlas ${error.errorCode} (HTTP ${error.status})`,
      message: hint ? `${error.detail} ${hint}` : error.detail
    }
  }
  if (error instanceof OutcomeUnknownError)
    return { title: 'Atlas outcome unknown', message: error.message }
  if (error instanceof AtlasProtocolError)
    return { title: 'Unexpected answer from Atlas', message: error.message }
  if (error instanceof AtlasUnreachableError)
    return { title: 'Atlas API unreachable', message: error.message }
  if (error instanceof TitledError) return { title: error.title, message: error.message }
  if (error instanceof CertificateResponseError) {
    return { title: 'Unusable certificate response', message: error.message }
  }
  if (error instanceof GitHubSecretNotStoredError)
    return { title: 'GitHub secret not stored', message: error.message }
  if (error instanceof CertificateFileError)
    return { title: 'Certificate file not written', message: error.message }
  const message = error instanceof Error ? error.message : String(error)
  // An unexpected error may quote what it choked on: keep the annotation readable.
  return { title: 'atlas-x509-action failed', message: message.slice(0, 2000) }
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
