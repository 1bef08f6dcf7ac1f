import { parseCommonConfig } from './inputs/common.js'
import { DEFAULTS } from './inputs/inputs.js'
import { findOperation } from './operations/registry.js'
import { reportFailure } from './report.js'
import {
  defaultDependencies,
  maskSecretInputs,
  withOperationContext,
  type RunDependencies
} from './runtime.js'

/** The main step: inputs → one operation → outputs, summary, or one error annotation. */
export async function run(overrides: Partial<RunDependencies> = {}): Promise<void> {
  const deps = { ...defaultDependencies(), ...overrides }
  try {
    maskSecretInputs(deps)
    const operation = findOperation(deps.readInput('operation'), DEFAULTS.operation)
    const common = parseCommonConfig(deps.readInput, deps.env)
    const config = operation.parse(deps.readInput)
    await withOperationContext(common, deps, ctx => operation.run(config, ctx), {
      parallelRequests: operation.parallelRequests,
      accessToken: { handOver: true }
    })
  } catch (error) {
    await reportFailure(error, deps.io)
  }
}
