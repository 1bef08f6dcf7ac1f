/** Errors of the GitHub secret store (kept apart so the post step bundles no GitHub code). */
import { TitledError } from '../errors.js'

/** GitHub answered an error (or could not be reached) for one of the two requests. */
export class GitHubRequestError extends Error {
  constructor(
    readonly request: 'public-key' | 'secret',
    readonly status: number | undefined,
    message: string
  ) {
    super(message)
    this.name = 'GitHubRequestError'
  }
}

/** The certificate was issued but the secret was not stored: one annotation says both. */
export class GitHubSecretNotStoredError extends TitledError {
  constructor(message: string) {
    super('GitHub secret not stored', message)
    this.name = 'GitHubSecretNotStoredError'
  }
}
