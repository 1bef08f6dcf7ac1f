import * as core from '@actions/core'
import type { Dispatcher } from 'undici'
import { AtlasClient, systemClock, type Clock } from './atlas/client.js'
import { createDispatcher } from './atlas/dispatcher.js'
import { nodeFileSystem, type FileSystem } from './certificate.js'
import { SECRET_INPUTS, type CommonConfig, type InputReader } from './config.js'
import { coreIO, type ActionIO } from './io.js'
import type { OperationContext } from './operations/context.js'

export const USER_AGENT = 'atlas-x509-action/1.0.0'

/** What the main and post steps use from the outside world; tests replace parts of it. */
export interface RunDependencies {
  env: Readonly<Record<string, string | undefined>>
  readInput: InputReader
  io: ActionIO
  /** Built from the environment (proxies) when not given. */
  dispatcher?: Dispatcher
  clock: Clock
  fs: FileSystem
  cwd: string
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
  for (const [input, variable] of SECRET_INPUTS) {
    for (const value of [deps.readInput(input), deps.env[variable]?.trim()])
      if (value) deps.io.setSecret(value)
  }
}

export function createClient(
  config: CommonConfig,
  deps: RunDependencies,
  dispatcher: Dispatcher
): AtlasClient {
  return new AtlasClient({
    baseUrl: config.baseUrl,
    credentials: config.credentials,
    dispatcher,
    deadline: deps.clock.now() + config.timeoutSeconds * 1000,
    timeoutSeconds: config.timeoutSeconds,
    maxRetries: config.maxRetries,
    clock: deps.clock,
    registerSecret: value => deps.io.setSecret(value),
    log: { debug: m => deps.io.debug(m), notice: m => deps.io.notice(m, 'Atlas rate limit') },
    userAgent: USER_AGENT
  })
}

/**
 * Runs work with an operation context: one client for the step, its dispatcher closed afterwards
 * so idle keep-alive connections do not hold the step open.
 */
export async function withOperationContext<T>(
  config: CommonConfig,
  deps: RunDependencies,
  work: (ctx: OperationContext) => Promise<T>
): Promise<T> {
  const dispatcher = deps.dispatcher ?? createDispatcher(deps.env)
  const client = createClient(config, deps, dispatcher)
  try {
    return await work({
      client,
      io: deps.io,
      env: deps.env,
      fs: deps.fs,
      cwd: deps.cwd,
      clock: deps.clock
    })
  } finally {
    deps.io.debug(`Atlas HTTP requests sent: ${client.requestCount}`)
    if (!deps.dispatcher) await dispatcher.destroy().catch(() => undefined)
  }
}
