/** The emulator plus the dist/ step runner, with the leak scan applied to every step a test runs. */
import { rmSync } from 'node:fs'
import { emulatorInputs, emulatorSecrets } from './emulator-fixtures.js'
import { startEmulator, type EmulatorOptions } from '../../emulator/index.js'
import { recordContract } from './openapi-contract.js'
import {
  findLeaks,
  runJob,
  runStep,
  tempDir,
  type StepOptions,
  type StepResult as SpawnedStepResult
} from '../../scripts/lib/step.js'
import type { JobResult, LaterEnv, LeakScan } from '../../scripts/lib/step-types.js'
import { observingRequests, runnerForFile, type Observed, type StepRunner } from './harness.js'

export {
  atlasRequests,
  CREDENTIAL_KINDS,
  filesIn,
  relabelAsAnotherStep,
  sessionState,
  type CredentialKind
} from './emulator-fixtures.js'
export { githubEnvOf, githubForFile } from './harness.js'

/** A spawned step's result (stdout, stderr, files, durationMs) with what the harness observed. */
export interface StepResult extends SpawnedStepResult, Observed {}

/** The dist/ StepRunner: the bundle on Node 24 against the emulator, leak-scanned. */
export interface Atlas extends StepRunner<StepResult> {
  readonly tier: 'dist'
  step(entry: 'main' | 'post', options?: StepOptions, scan?: LeakScan): Promise<StepResult>
  job(
    options: StepOptions & { laterEnv?: LaterEnv },
    scan?: LeakScan
  ): Promise<JobResult<StepResult>>
}

/** Everything a spawned step made visible, but for its ::add-mask:: lines. */
function visibleOf(result: SpawnedStepResult): string {
  const stdout = result.stdout
    .split('\n')
    .filter(line => !line.startsWith('::add-mask::'))
    .join('\n')
  return [stdout, result.stderr, ...Object.values(result.files)].join('\n')
}

export async function startAtlas(options?: EmulatorOptions): Promise<Atlas> {
  // Client keys from a pool of two: a fresh RSA key for each of the suite's hundreds of
  // certificates would be a third of its CPU time. A test that needs fresh keys passes 0.
  const emulator = await startEmulator({ clientKeyPool: 2, ...options })
  // Every exchange of the action with the emulator keeps the official contract (ATLAS_OPENAPI).
  const contract = recordContract(emulator)
  // Folders made here (job()'s runner temps included): kept for the test to inspect until close().
  const owned: string[] = []
  const ownDir = (prefix: string) => {
    const dir = tempDir(prefix)
    owned.push(dir)
    return dir
  }
  const secrets = () => emulatorSecrets(emulator)
  const atlas: Atlas = {
    tier: 'dist',
    emulator,
    secrets,
    tempDir: ownDir,
    inputs: (kind, extra = {}) => emulatorInputs(emulator, kind, extra),
    async step(entry, options = {}, scan = {}) {
      const { result: spawned, requests } = await observingRequests(emulator, () =>
        runStep(entry, options)
      )
      const result = { ...spawned, requests, visible: visibleOf(spawned) }
      const leaks = findLeaks(result, secrets(), scan)
      if (leaks.length > 0)
        throw new Error(`Secret leaked by the ${entry} step: ${leaks.join('; ')}`)
      return result
    },
    job: (options, scan) =>
      runJob(
        (entry, stepOptions) => atlas.step(entry, stepOptions, scan),
        options,
        options.runnerTemp ?? ownDir('runner-temp-')
      ),
    async close() {
      for (const dir of owned) rmSync(dir, { recursive: true, force: true })
      await emulator.close()
      contract.assertClean()
    }
  }
  return atlas
}

/**
 * One emulator for a test file, as a handle usable at the file's top level: started before its
 * tests, emptied of requests and faults before each, closed (with its contract check) after them.
 */
export function atlasForFile(options?: EmulatorOptions): Atlas {
  return runnerForFile(startAtlas, options)
}
