/** The emulator plus the step runner, with the leak scan applied to every step a test runs. */
import { rmSync } from 'node:fs'
import { emulatorInputs, emulatorSecrets, type CredentialKind } from './emulator-fixtures.js'
import { startEmulator, type Emulator, type EmulatorOptions } from '../../emulator/index.js'
import { recordContract } from './openapi-contract.js'
import {
  findLeaks,
  postStepOptions,
  runStep,
  type LaterEnv,
  tempDir,
  type StepOptions,
  type StepResult
} from '../../scripts/lib/step.js'

export {
  atlasRequests,
  CREDENTIAL_KINDS,
  filesIn,
  relabelAsAnotherStep,
  sessionState,
  type CredentialKind
} from './emulator-fixtures.js'

export interface Atlas {
  emulator: Emulator
  /** Inputs naming the emulator, its project and one kind of credential. */
  inputs(kind: CredentialKind, extra?: Record<string, string>): Record<string, string>
  /** Runs a step and fails the test if any secret the emulator handed out or knows leaked. */
  step(
    entry: 'main' | 'post',
    options?: StepOptions,
    scan?: { certificateOutputAllowed?: boolean }
  ): Promise<StepResult>
  /**
   * A main step, then its post step as the runner runs it: the same inputs and env, plus what
   * later steps appended to $GITHUB_ENV (`laterEnv`), and the state the main step saved.
   */
  job(
    options: StepOptions & { laterEnv?: LaterEnv },
    scan?: { certificateOutputAllowed?: boolean }
  ): Promise<{ main: StepResult; post: StepResult; runnerTemp: string }>
  secrets(): string[]
  close(): Promise<void>
}

export async function startAtlas(options?: EmulatorOptions): Promise<Atlas> {
  // Client keys from a pool of two: a fresh RSA key for each of the suite's hundreds of
  // certificates would be a third of its CPU time. A test that needs fresh keys passes 0.
  const emulator = await startEmulator({ clientKeyPool: 2, ...options })
  // Every exchange of the action with the emulator keeps the official contract (the OpenAPI subset).
  const contract = recordContract(emulator)
  // Runner temp folders job() made: kept for the test to inspect until close().
  const madeRunnerTemps: string[] = []
  const secrets = () => emulatorSecrets(emulator)
  const atlas: Atlas = {
    emulator,
    secrets,
    inputs: (kind, extra = {}) => emulatorInputs(emulator, kind, extra),
    async step(entry, options = {}, scan = {}) {
      const result = await runStep(entry, options)
      const leaks = findLeaks(result, secrets(), scan)
      if (leaks.length > 0)
        throw new Error(`Secret leaked by the ${entry} step: ${leaks.join('; ')}`)
      return result
    },
    async job(options, scan) {
      let runnerTemp = options.runnerTemp
      if (runnerTemp === undefined) madeRunnerTemps.push((runnerTemp = tempDir('runner-temp-')))
      const { laterEnv = {}, ...stepOptions } = options
      const main = await atlas.step('main', { ...stepOptions, runnerTemp }, scan)
      const post = await atlas.step(
        'post',
        postStepOptions({ ...stepOptions, runnerTemp }, main.state, laterEnv),
        scan
      )
      return { main, post, runnerTemp }
    },
    async close() {
      for (const folder of madeRunnerTemps) rmSync(folder, { recursive: true, force: true })
      await emulator.close()
      contract.assertClean()
    }
  }
  return atlas
}
