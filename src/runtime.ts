import * as core from '@actions/core'
import type { Dispatcher } from 'undici'
import { HttpAtlasApi, type AtlasApi } from './atlas/api.js'
import { AtlasClient } from './atlas/client.js'
import { createDispatcher } from './atlas/dispatcher.js'
import { nodeFileSystem, type FileSystem } from './certificate/file.js'
import { systemClock, type Clock } from './clock.js'
import type { GitHubSecretStoreFactory } from './github/secret-store.js'
import type { CommonConfig } from './inputs/common.js'
import { secretCredentialValues } from './inputs/credentials.js'
import type { Environment, InputReader } from './inputs/inputs.js'
import { coreIO, type ActionIO } from './io.js'
import type { OperationContext } from './operations/operation.js'

export const USER_AGENT = 'atlas-x509-action/1.0.0'

/** What the main and post steps use from the outside world; tests replace parts of it. */
export interface RunDependencies {
  env: Environment
  readInput: InputReader
  io: ActionIO
  /** Built from the environment (proxies) when not given. */
  dispatcher?: Dispatcher
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
}

/**
 * Runs work with an operation context: one Atlas client for the step, its dispatcher closed
 * afterwards so idle keep-alive connections do not hold the step open.
 */
export async function withOperationContext<T>(
  config: CommonConfig,
  deps: RunDependencies,
  work: (ctx: OperationContext) => Promise<T>
): Promise<T> {
  const dispatcher = deps.dispatcher ?? createDispatcher(deps.env)
  const api: AtlasApi = new HttpAtlasApi(
    new AtlasClient({
      baseUrl: config.baseUrl,
      credentials: config.credentials,
      dispatcher,
      timeoutSeconds: config.timeoutSeconds,
      maxRetries: config.maxRetries,
      clock: deps.clock,
      registerSecret: value => deps.io.setSecret(value),
      debug: message => deps.io.debug(message),
      notice: message => deps.io.notice(message, 'Atlas rate limit'),
      userAgent: USER_AGENT
    })
  )
  try {
    return await work({
      groupId: config.groupId,
      api,
      io: deps.io,
      env: deps.env,
      fs: deps.fs,
      cwd: deps.cwd,
      clock: deps.clock,
      githubSecretStore: deps.githubSecretStore
    })
  } finally {
    deps.io.debug(`Atlas HTTP requests sent: ${api.requestCount}`)
    if (!deps.dispatcher) await dispatcher.destroy().catch(() => undefined)
  }
}
