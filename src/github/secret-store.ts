/**
 * Storing a value as a GitHub Actions secret (repository or environment) through GitHub's REST
 * API: read the store's public key, seal the value with it, PUT the secret. Octokit and the
 * sealing code are imported lazily, so steps that store no secret load neither.
 */
import type { Environment } from '../environment.js'
import { InputError } from '../errors.js'
import { GitHubRequestError } from './errors.js'

export const DEFAULT_GITHUB_API_URL = 'https://api.github.com'

/** One secret: `name` of repository `owner/repo`, or of its environment `environment`. */
export interface SecretDestination {
  owner: string
  repo: string
  environment: string | undefined
  name: string
}

export interface GitHubSecretStore {
  /** Seals `value` with the store's public key and creates or updates the secret. */
  put(destination: SecretDestination, value: string): Promise<void>
  /** HTTP round trips so far. */
  readonly requestCount: number
}

export type GitHubSecretStoreFactory = (options: {
  token: string
  baseUrl: string
}) => Promise<GitHubSecretStore>

/** Where the secret goes and which API serves it, from the inputs and the runner's environment. */
export function secretTarget(
  options: { name: string; environment: string | undefined },
  env: Environment
): { destination: SecretDestination; baseUrl: string } {
  const repository = env.GITHUB_REPOSITORY?.trim() ?? ''
  const match = /^([^/\s]+)\/([^/\s]+)$/.exec(repository)
  if (!match) {
    throw new InputError(
      'github-secret',
      `GITHUB_REPOSITORY is ${repository ? `"${repository}"` : 'not set'}; the secret goes to the repository it names (owner/repo), which the runner sets.`
    )
  }
  const baseUrl = (env.GITHUB_API_URL?.trim() || DEFAULT_GITHUB_API_URL).replace(/\/+$/, '')
  try {
    new URL(baseUrl)
  } catch {
    throw new InputError('github-secret', `GITHUB_API_URL "${baseUrl}" is not a URL.`)
  }
  return {
    destination: {
      owner: match[1]!,
      repo: match[2]!,
      environment: options.environment,
      name: options.name
    },
    baseUrl
  }
}

/** "repository owner/repo" or "environment prod of owner/repo". */
export function describeStore(destination: SecretDestination): string {
  const repository = `${destination.owner}/${destination.repo}`
  return destination.environment
    ? `environment "${destination.environment}" of ${repository}`
    : `repository ${repository}`
}

/** What a refused request needs, in the words of GitHub's token settings. */
export function permissionAdvice(
  error: GitHubRequestError,
  destination: SecretDestination
): string {
  const permission = destination.environment
    ? '"Environments: Read and write"'
    : '"Secrets: Read and write"'
  const token = `Give \`github-token\` a fine-grained personal access token or GitHub App token with the repository permission ${permission} on ${destination.owner}/${destination.repo} (a classic token needs the \`repo\` scope); the job's GITHUB_TOKEN cannot write secrets.`
  switch (error.status) {
    case 401:
      return `GitHub did not accept \`github-token\` (invalid, expired or revoked). ${token}`
    case 403:
      return `The token may not write Actions secrets there. ${token}`
    case 404:
      return `GitHub says the ${describeStore(destination)} does not exist, or the token cannot see it${destination.environment ? ' (create the environment first)' : ''}. ${token}`
    default:
      return "Try again; if it persists, check GitHub's status and GITHUB_API_URL."
  }
}

/** The store over Octokit (from @actions/github), against `baseUrl` (GitHub Enterprise Server too). */
export const octokitSecretStore: GitHubSecretStoreFactory = async ({ token, baseUrl }) => {
  const [{ getOctokit }, { sealForGitHub }] = await Promise.all([
    import('@actions/github'),
    import('./sealed-box.js')
  ])
  const octokit = getOctokit(token, { baseUrl })
  let requestCount = 0
  octokit.hook.before('request', () => {
    requestCount++
  })
  const call = async <T>(request: GitHubRequestError['request'], send: () => Promise<T>) => {
    try {
      return await send()
    } catch (error) {
      const status = (error as { status?: unknown }).status
      const message = error instanceof Error ? error.message : String(error)
      throw new GitHubRequestError(
        request,
        typeof status === 'number' ? status : undefined,
        message
      )
    }
  }
  return {
    get requestCount() {
      return requestCount
    },
    async put(destination, value) {
      const { owner, repo, environment, name } = destination
      const key = await call('public-key', async () =>
        environment
          ? (
              await octokit.rest.actions.getEnvironmentPublicKey({
                owner,
                repo,
                environment_name: environment
              })
            ).data
          : (await octokit.rest.actions.getRepoPublicKey({ owner, repo })).data
      )
      const body = { encrypted_value: sealForGitHub(value, key.key), key_id: key.key_id }
      await call('secret', async () => {
        if (environment) {
          await octokit.rest.actions.createOrUpdateEnvironmentSecret({
            owner,
            repo,
            environment_name: environment,
            secret_name: name,
            ...body
          })
        } else {
          await octokit.rest.actions.createOrUpdateRepoSecret({
            owner,
            repo,
            secret_name: name,
            ...body
          })
        }
      })
    }
  }
}
