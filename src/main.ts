import * as core from '@actions/core'
import { open, stat, unlink } from 'node:fs/promises'
import type { Dispatcher } from 'undici'
import { AtlasClient, systemClock, type Clock } from './atlas/client.js'
import { createDispatcher } from './atlas/dispatcher.js'
import type { CertificateFs } from './certificate.js'
import { parseConfig, SECRET_INPUTS, type Config, type InputReader } from './config.js'
import { coreIO, type ActionIO } from './io.js'
import type { OperationContext } from './operations/context.js'
import { createCertificate } from './operations/create-certificate.js'
import { disableCustomerX509 } from './operations/disable-customer-x509.js'
import { reportFailure } from './report.js'

export const USER_AGENT = 'atlas-x509-action/1.0.0'

/** What run() uses from the outside world; tests replace parts of it. */
export interface RunDependencies {
  env: Readonly<Record<string, string | undefined>>
  readInput: InputReader
  io: ActionIO
  dispatcher?: Dispatcher
  clock: Clock
  fs: CertificateFs
  cwd: string
}

export function defaultDependencies(): RunDependencies {
  return {
    env: process.env,
    readInput: name => core.getInput(name),
    io: coreIO(),
    clock: systemClock,
    fs: { open, unlink, stat },
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
  config: Config,
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

async function runOperation(config: Config, ctx: OperationContext): Promise<void> {
  switch (config.operation) {
    case 'create-certificate':
      return createCertificate(config.groupId, config.certificate, ctx)
    case 'disable-customer-x509':
      return disableCustomerX509(config.groupId, ctx)
  }
}

/** The main step: inputs → configuration → one operation → outputs, summary, or one error annotation. */
export async function run(overrides: Partial<RunDependencies> = {}): Promise<void> {
  const deps = { ...defaultDependencies(), ...overrides }
  let ownDispatcher: Dispatcher | undefined
  try {
    maskSecretInputs(deps)
    const config = parseConfig(deps.readInput, deps.env)
    const dispatcher = deps.dispatcher ?? (ownDispatcher = createDispatcher(deps.env))
    const client = createClient(config, deps, dispatcher)
    try {
      await runOperation(config, {
        client,
        io: deps.io,
        env: deps.env,
        fs: deps.fs,
        cwd: deps.cwd,
        clock: deps.clock
      })
    } finally {
      deps.io.debug(`Atlas HTTP requests sent: ${client.requestCount}`)
    }
  } catch (error) {
    reportFailure(error, deps.io)
  } finally {
    // Close idle keep-alive connections so the step ends as soon as the work does.
    await ownDispatcher?.destroy().catch(() => undefined)
  }
}
