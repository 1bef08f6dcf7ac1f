/**
 * Storing a value as a GitHub Actions secret (repository or environment) through GitHub's REST
 * API: read the store's public key, seal the value with it, PUT the secret. Octokit and the
 * sealing code are imported lazily, so steps that store no secret load neither.
 */
import type { Dispatcher } from 'undici'
import { DEFAULT_BACKOFF, withRetries, type Retrier } from '../atlas/retry.js'
import type { HttpResponse } from '../atlas/http.js'
import { Transport, type Budget } from '../atlas/transport.js'
import type { Clock } from '../clock.js'
import type { Environment } from '../environment.js'
import { InputError } from '../errors.js'
import { logLine } from '../io.js'
import { GitHubRequestError } from './errors.js'

export const DEFAULT_GITHUB_API_URL = 'https://api.github.com'

/** One secret: `name` of repository `owner/repo`, or of its environment `environment`. */
export interface SecretDestination {
  owner: string
  repo: string
  environment: string | undefined
  name: string
}

/** A store's public key as GitHub gives it: its id and the base64 of 32 bytes of X25519 key. */
export interface StorePublicKey {
  keyId: string
  key: string
}

/** A secret's metadata: whether it exists and when it was last written (`updated_at`, as GitHub says). */
export type SecretState = { exists: false } | { exists: true; updatedAt: string }

export interface GitHubSecretStore {
  /** Reads and checks the store's public key: proves the token and the store before anything is minted. */
  publicKey(destination: SecretDestination): Promise<StorePublicKey>
  /** Reads the secret's metadata (never its value); a 404 is a missing secret. */
  secretState(destination: SecretDestination): Promise<SecretState>
  /** Seals `value` with `key` (read by publicKey) and creates or updates the secret. */
  put(destination: SecretDestination, value: string, key: StorePublicKey): Promise<void>
  /** HTTP round trips so far. */
  readonly requestCount: number
}

/** What a store talks to GitHub with: the step's budget, clock, dispatcher and retries. */
export interface GitHubConnection {
  token: string
  baseUrl: string
  budget: Budget
  clock: Clock
  dispatcher: Dispatcher
  maxRetries: number
  random?: () => number
  /** Debug lines: Octokit's own log too, escaped by the caller's IO. */
  debug: (message: string) => void
  notice: (message: string) => void
}

export type GitHubSecretStoreFactory = (connection: GitHubConnection) => Promise<GitHubSecretStore>

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
  const [owner, repo] = [match[1]!, match[2]!]
  if (![owner, repo].every(part => REPOSITORY_PART.test(part) && !/^\.{1,2}$/.test(part))) {
    throw new InputError(
      'github-secret',
      `GITHUB_REPOSITORY "${repository}" is not an owner/repo name (letters, digits, ".", "-" and "_").`
    )
  }
  const baseUrl = (env.GITHUB_API_URL?.trim() || DEFAULT_GITHUB_API_URL).replace(/\/+$/, '')
  const problem = apiUrlProblem(baseUrl)
  if (problem) throw new InputError('github-secret', `GITHUB_API_URL "${baseUrl}" ${problem}`)
  return {
    destination: {
      owner,
      repo,
      environment: options.environment,
      name: options.name
    },
    baseUrl
  }
}

const REPOSITORY_PART = /^[A-Za-z0-9_.-]+$/

/**
 * Why GITHUB_API_URL cannot carry the token, or undefined: the token goes only over https (plain
 * http to this machine alone, for a local server) and never to a URL with credentials of its own.
 */
function apiUrlProblem(baseUrl: string): string | undefined {
  let url: URL
  try {
    url = new URL(baseUrl)
  } catch {
    return 'is not a URL.'
  }
  if (url.username || url.password) {
    return 'carries a user name or password: the token is the only credential sent; remove them.'
  }
  if (url.protocol === 'https:') return undefined
  if (url.protocol === 'http:' && isLoopback(url.hostname)) return undefined
  return 'must be https (plain http only to localhost): the token would travel unencrypted.'
}

function isLoopback(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127(?:\.\d{1,3}){3}$/.test(hostname)
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

/** Strict base64, as GitHub writes it: no whitespace, no URL alphabet. */
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/

/** A failure of the transport below Octokit: no answer, the budget spent, or a redirect. */
class NoAnswerError extends Error {
  constructor(
    message: string,
    readonly status?: number
  ) {
    super(message)
    this.name = 'NoAnswerError'
  }
}

// GitHub's error messages are quoted in an annotation: a few hundred characters say enough.
const MAX_MESSAGE = 300

/**
 * The store over Octokit (from @actions/github), against `baseUrl` (GitHub Enterprise Server too).
 * Octokit's fetch is the action's transport: each call within the step's budget, 5xx and network
 * failures retried with backoff on the step's clock, redirects not followed, the body capped.
 */
export const octokitSecretStore: GitHubSecretStoreFactory = async connection => {
  const [{ getOctokit }, sealing] = await Promise.all([
    import('@actions/github'),
    import('./sealed-box.js')
  ])
  const { baseUrl, budget, clock } = connection
  const transport = new Transport({
    baseUrl,
    dispatcher: connection.dispatcher,
    budget,
    clock,
    userAgent: 'atlas-x509-action',
    debug: connection.debug
  })
  const retrier: Retrier = {
    maxRetries: connection.maxRetries,
    budget,
    clock,
    random: connection.random ?? Math.random,
    backoff: DEFAULT_BACKOFF,
    debug: connection.debug,
    notice: connection.notice,
    baseUrl,
    pause: { until: 0 }
  }
  const fetchWithin = async (url: string, init: RequestInit): Promise<Response> => {
    const method = init.method ?? 'GET'
    const label = `GitHub ${method} ${new URL(url).pathname}`
    let response: HttpResponse
    try {
      response = await withRetries(label, 'retry-safe', retrier, () =>
        transport.send({
          method,
          target: url,
          headers: Object.fromEntries(new Headers(init.headers).entries()),
          ...(typeof init.body === 'string' ? { body: init.body } : {})
        })
      )
    } catch (error) {
      throw new NoAnswerError(error instanceof Error ? error.message : String(error))
    }
    if (response.status >= 300 && response.status < 400) {
      throw new NoAnswerError(
        `${label} answered HTTP ${response.status}, a redirect. Redirects are not followed, so the token never leaves GITHUB_API_URL: check GITHUB_API_URL and any proxy.`,
        response.status
      )
    }
    const headers = new Headers()
    for (const [name, value] of Object.entries(response.headers)) {
      for (const each of Array.isArray(value) ? value : value === undefined ? [] : [value])
        headers.append(name, each)
    }
    const empty = response.status === 204 || response.status === 205
    return new Response(empty ? null : response.text, { status: response.status, headers })
  }
  // Octokit logs server text (a Deprecation header's dates and links): only as escaped debug lines.
  const log = {
    debug: (message: string) => connection.debug(logLine(message)),
    info: (message: string) => connection.debug(logLine(message)),
    warn: (message: string) => connection.debug(logLine(message)),
    error: (message: string) => connection.debug(logLine(message))
  }
  const octokit = getOctokit(connection.token, {
    baseUrl,
    log,
    request: { fetch: fetchWithin, log, redirect: 'manual' }
  })
  const call = async <T>(request: GitHubRequestError['request'], send: () => Promise<T>) => {
    try {
      return await send()
    } catch (error) {
      const cause = (error as { cause?: unknown }).cause
      const noAnswer =
        error instanceof NoAnswerError ? error : cause instanceof NoAnswerError ? cause : undefined
      if (noAnswer) throw new GitHubRequestError(request, noAnswer.status, noAnswer.message)
      const status = (error as { status?: unknown }).status
      const message = error instanceof Error ? error.message : String(error)
      throw new GitHubRequestError(
        request,
        typeof status === 'number' ? status : undefined,
        message.slice(0, MAX_MESSAGE)
      )
    }
  }
  const unexpected = (request: GitHubRequestError['request'], what: string) =>
    new GitHubRequestError(request, undefined, `GitHub answered ${what}`)
  return {
    get requestCount() {
      return transport.requestCount
    },
    async publicKey({ owner, repo, environment }) {
      const data: unknown = await call('public-key', async () =>
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
      const { key, key_id: keyId } = (data ?? {}) as { key?: unknown; key_id?: unknown }
      if (typeof keyId !== 'string' || !/^[\x21-\x7e]{1,100}$/.test(keyId))
        throw unexpected('public-key', 'a public key without a usable key_id.')
      if (typeof key !== 'string' || !BASE64.test(key))
        throw unexpected('public-key', 'a public key that is not base64.')
      const problem = sealing.publicKeyProblem(new Uint8Array(Buffer.from(key, 'base64')))
      if (problem) throw unexpected('public-key', `a public key that ${problem}`)
      return { keyId, key }
    },
    async secretState({ owner, repo, environment, name }) {
      try {
        const data: unknown = await call('secret-state', async () =>
          environment
            ? (
                await octokit.rest.actions.getEnvironmentSecret({
                  owner,
                  repo,
                  environment_name: environment,
                  secret_name: name
                })
              ).data
            : (await octokit.rest.actions.getRepoSecret({ owner, repo, secret_name: name })).data
        )
        const updatedAt = (data as { updated_at?: unknown } | null)?.updated_at
        return { exists: true, updatedAt: typeof updatedAt === 'string' ? updatedAt : '' }
      } catch (error) {
        if (error instanceof GitHubRequestError && error.status === 404) return { exists: false }
        throw error
      }
    },
    async put({ owner, repo, environment, name }, value, key) {
      const body = {
        encrypted_value: sealing.sealForGitHub(value, key.key),
        key_id: key.keyId
      }
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
