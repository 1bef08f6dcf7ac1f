/** Errors of the GitHub secret store (kept apart so the post step bundles no GitHub code). */

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
export class GitHubSecretNotStoredError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'GitHubSecretNotStoredError'
  }
}
