/**
 * The release-pipeline inputs of create-certificate: `renew-within-days` and the GitHub secret
 * that receives the PEM. Pure: nothing here performs I/O.
 */
import { InputError, isControlCharacter, parseInteger, type InputReader } from './inputs.js'

/** Where the issued PEM goes: a repository secret, or an environment secret when `environment` is set. */
export interface GitHubSecretOptions {
  name: string
  token: string
  environment: string | undefined
}

export const MAX_RENEW_WITHIN_DAYS = 730

/** `renew-within-days`: undefined (always issue) when empty. */
export function parseRenewWithinDays(read: InputReader): number | undefined {
  if (read('renew-within-days') === '') return undefined
  return parseInteger(read, 'renew-within-days', 0, 0, MAX_RENEW_WITHIN_DAYS)
}

const SECRET_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/

/** `github-secret`, `github-token`, `github-secret-environment`: undefined when no secret is asked for. */
export function parseGitHubSecret(read: InputReader): GitHubSecretOptions | undefined {
  const name = read('github-secret')
  const token = read('github-token')
  const environment = read('github-secret-environment')
  if (!name) {
    if (environment) {
      throw new InputError(
        'github-secret-environment',
        'Given without `github-secret`: name the secret that the environment should hold.'
      )
    }
    return undefined
  }
  if (!SECRET_NAME.test(name)) {
    throw new InputError(
      'github-secret',
      `"${name}" is not a secret name: use letters, digits and underscores, not starting with a digit (^[A-Za-z_][A-Za-z0-9_]*$).`
    )
  }
  if (/^GITHUB_/i.test(name)) {
    throw new InputError(
      'github-secret',
      `"${name}" starts with GITHUB_, which GitHub reserves: choose another name.`
    )
  }
  if (!token) {
    throw new InputError(
      'github-token',
      'Required with `github-secret`: a token allowed to write Actions secrets (a fine-grained token with "Secrets: Read and write" on the repository, or "Environments: Read and write" for an environment secret). The job\'s GITHUB_TOKEN cannot write secrets.'
    )
  }
  // The name becomes a path segment of the request: "..", "." or a "/" would address another resource.
  if (
    environment &&
    (environment.length > 255 ||
      [...environment].some(isControlCharacter) ||
      environment.includes('/') ||
      environment === '.' ||
      environment === '..')
  ) {
    throw new InputError(
      'github-secret-environment',
      'Expected an environment name of at most 255 printable characters, without "/", and not "." or "..".'
    )
  }
  return { name, token, environment: environment || undefined }
}
