import * as core from '@actions/core'
import type { Dispatcher } from 'undici'
import { HttpAtlasApi, type AtlasApi } from './atlas/api.js'
import { AtlasClient } from './atlas/client.js'
import { createDispatcher } from './atlas/dispatcher.js'
import { getPlainText } from './atlas/plain-text.js'
import type { Preconnection } from './atlas/preconnect.js'
import { Budget } from './atlas/transport.js'
import type { AccessToken } from './atlas/auth/oauth.js'
import { nodeFileSystem, type FileSystem } from './certificate/file.js'
import { systemClock, type Clock } from './clock.js'
import type { GitHubSecretStoreFactory } from './github/secret-store.js'
import type { CommonConfig } from './inputs/common.js'
import { secretCredentialValues } from './inputs/credentials.js'
import type { Environment, InputReader } from './inputs/inputs.js'
import { issuerKeyMasks } from './inputs/issuer-key.js'
import { coreIO, type ActionIO } from './io.js'
import { STATE, type StepContext, type SummaryRows } from './operations/operation.js'

export const USER_AGENT = 'atlas-x509-action/1.0.0'

/** What the main and post steps use from the outside world; tests replace parts of it. */
export interface RunDependencies {
  env: Environment
  readInput: InputReader
  io: ActionIO
  /** Built from the environment (proxies) when not given. */
  dispatcher?: Dispatcher
  /** The entry's early handshake to the Atlas origin, for the built dispatcher's first connection. */
  preconnection?: Preconnection
  clock: Clock
  fs: FileSystem
  cwd: string
  /** The GitHub secret store for `github-secret`; Octokit against GITHUB_API_URL when not given. */
  githubSecretStore?: GitHubSecretStoreFactory
}

export function defaultDependencies(): RunDependencies {
  return {
    env: process.env,
    readInput: name => core.getInput(name),
    io: coreIO(),
    clock: systemClock,
    fs: nodeFileSystem,
    cwd: process.cwd()
  }
}

/** Registers secret inputs (and their environment fallbacks) before anything can print them. */
export function maskSecretInputs(deps: Pick<RunDependencies, 'env' | 'readInput' | 'io'>): void {
  for (const value of secretCredentialValues(deps.readInput, deps.env)) deps.io.setSecret(value)
  const githubToken = deps.readInput('github-token')
  if (githubToken) deps.io.setSecret(githubToken)
  const issuerKey = deps.readInput('issuer-key')
  if (issuerKey) for (const value of issuerKeyMasks(issuerKey)) deps.io.setSecret(value)
}

export interface SessionOptions {
  /** The operation as the summary's Operation row names it; the post step runs none. */
  operation?: string
  /** Requests sent in parallel at most (one keep-alive connection each). */
  parallelRequests?: number
  /**
   * A service account's access token: the main step hands it to the post step through state; the
   * post step reuses it and revokes every token of the job at its end.
   */
  accessToken: { handOver: true } | { handOver: false; handedOver: AccessToken | undefined }
}

/**
 * Runs work with an operation context: one Atlas client for the step, its dispatcher closed
 * afterwards so idle keep-alive connections do not hold the step open.
 */
export async function withStepContext<T>(
  config: CommonConfig,
  deps: RunDependencies,
  work: (ctx: StepContext) => Promise<T>,
  session: SessionOptions = { accessToken: { handOver: true } }
): Promise<T> {
  const parallelRequests = session.parallelRequests ?? 1
  const budget = new Budget(config.timeoutSeconds, deps.clock)
  const dispatcher =
    deps.dispatcher ??
    createDispatcher(deps.env, {
      connections: parallelRequests,
      remainingMs: () => budget.remainingMs(),
      ...(deps.preconnection ? { preconnection: deps.preconnection } : {})
    })
  const tokenHandling = session.accessToken
  const client = new AtlasClient({
    baseUrl: config.baseUrl,
    credentials: config.credentials,
    dispatcher,
    budget,
    maxRetries: config.maxRetries,
    clock: deps.clock,
    registerSecret: value => deps.io.setSecret(value),
    debug: message => deps.io.debug(message),
    notice: message => deps.io.notice(message, 'Atlas rate limit'),
    userAgent: USER_AGENT,
    ...(tokenHandling.handOver
      ? {
          onAccessToken: token =>
            deps.io.saveState(STATE.accessToken, JSON.stringify(token satisfies AccessToken))
        }
      : { handedOverToken: tokenHandling.handedOver })
  })
  const api: AtlasApi = new HttpAtlasApi(client)
  try {
    return await work({
      groupId: config.groupId,
      ...(config.orgId ? { orgId: config.orgId } : {}),
      api,
      io: deps.io,
      env: deps.env,
      fs: deps.fs,
      cwd: deps.cwd,
      clock: deps.clock,
      githubSecretStore: deps.githubSecretStore,
      githubConnection: (token, baseUrl) => ({
        token,
        baseUrl,
        budget,
        clock: deps.clock,
        dispatcher,
        maxRetries: config.maxRetries,
        debug: message => deps.io.debug(message),
        notice: message => deps.io.notice(message, 'GitHub rate limit')
      }),
      summary: (heading, rows) =>
        deps.io.summary(heading, [
          ...commonSummaryRows(session.operation, config.groupId, config.orgId),
          ...rows
        ]),
      getPlainText: url =>
        getPlainText(url, {
          dispatcher,
          budget,
          clock: deps.clock,
          userAgent: USER_AGENT,
          debug: message => deps.io.debug(message)
        })
    })
  } finally {
    if (!tokenHandling.handOver) await revokeAccessTokens(client, deps)
    deps.io.debug(`Atlas HTTP requests sent: ${api.requestCount}`)
    if (!deps.dispatcher) await dispatcher.destroy().catch(() => undefined)
  }
}

/** The rows every summary starts with: which operation ran, on which project. */
export function commonSummaryRows(
  operation: string | undefined,
  groupId: string,
  /** Set when the step covers every project of an organisation instead of one. */
  orgId?: string
): SummaryRows {
  return [
    ...(operation === undefined ? [] : [['Operation', operation] as const]),
    orgId ? ['Organisation', orgId] : ['Project', groupId]
  ]
}

/** The post step's last call: no access token of the job is left active (a warning if one is). */
async function revokeAccessTokens(client: AtlasClient, deps: RunDependencies): Promise<void> {
  try {
    const revoked = await client.revokeAccessTokens()
    if (revoked > 0) deps.io.info(`Revoked the service account's access token (${revoked}).`)
  } catch (error) {
    deps.io.warning(
      `Could not revoke the service account's access token: ${(error as Error).message} It stays active until it expires (1 hour after it was issued) and counts against the service account's limit of 100 active tokens.`,
      'Access token not revoked'
    )
  }
}
