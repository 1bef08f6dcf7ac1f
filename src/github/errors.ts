/** Errors of the GitHub secret store (kept apart so the post step bundles no GitHub code). */
import { TitledError } from '../errors.js'

/** GitHub answered an error (or could not be reached) for one of its requests. */
export class GitHubRequestError extends Error {
  constructor(
    /** Reading the store's public key, reading the secret's metadata, or writing the secret. */
    readonly request: 'public-key' | 'secret-state' | 'secret',
    readonly status: number | undefined,
    message: string
  ) {
    super(message)
    this.name = 'GitHubRequestError'
  }
}

/** The certificate was issued but the secret was not stored: one annotation says both. */
export class GitHubSecretNotStoredError extends TitledError {
  constructor(message: string, options?: ErrorOptions) {
    super('GitHub secret not stored', message, options)
    this.name = 'GitHubSecretNotStoredError'
  }
}
