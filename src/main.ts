import { parseCommonConfig, type CommonConfig } from './inputs/common.js'
import { credentialIdentity } from './inputs/credentials.js'
import { DEFAULTS } from './inputs/inputs.js'
import type { ActionIO } from './io.js'
import { STATE } from './operations/operation.js'
import { findOperation } from './operations/registry.js'
import { reportFailure } from './report.js'
import {
  defaultDependencies,
  maskSecretInputs,
  withStepContext,
  type RunDependencies
} from './runtime.js'

/**
 * Every key the post step reads, saved empty before anything else: the runner gives the post step
 * the main step's value of each saved key, so no `STATE_*` line a later step appends to
 * $GITHUB_ENV can stand in for one, even after an input error.
 */
function clearPostStepRecord(io: ActionIO): void {
  for (const name of Object.values(STATE)) io.saveState(name, '')
}

/** Where and as whom the main step works: the post step goes there with that credential only. */
function recordSession(common: CommonConfig, io: ActionIO): void {
  io.saveState(STATE.atlasOrigin, common.baseUrl)
  io.saveState(STATE.project, common.groupId)
  io.saveState(STATE.credential, JSON.stringify(credentialIdentity(common.credentials)))
}

/** The main step: inputs → one operation → outputs, summary, or one error annotation. */
export async function run(overrides: Partial<RunDependencies> = {}): Promise<void> {
  const deps = { ...defaultDependencies(), ...overrides }
  try {
    clearPostStepRecord(deps.io)
    maskSecretInputs(deps)
    const operation = findOperation(deps.readInput('operation'), DEFAULTS.operation)
    const common = parseCommonConfig(
      deps.readInput,
      deps.env,
      operation.orgWide?.(deps.readInput) ?? false
    )
    const config = operation.parse(deps.readInput)
    recordSession(common, deps.io)
    await withStepContext(common, deps, ctx => operation.run(config, ctx), {
      operation: operation.summaryName?.(config) ?? operation.name,
      parallelRequests: operation.parallelRequests,
      accessToken: { handOver: true }
    })
  } catch (error) {
    await reportFailure(error, deps.io)
  }
}
