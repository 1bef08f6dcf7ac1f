/**
 * The step harness both tiers share: a `StepRunner` (the in-process one of ./inprocess.ts, the
 * dist/ one of ./atlas.ts) runs a step against the emulator, scans it for leaks and gives back
 * the same result shape. A scenario that takes a StepRunner is written once and run by each tier
 * that needs it (see ../scenarios/).
 */
import { rmSync } from 'node:fs'
import { startEmulator, type Emulator, type EmulatorOptions } from '../../emulator/index.js'
import type { RecordedRequest } from '../../emulator/types.js'
import { startGitHubEmulator, type GitHubEmulator } from '../../emulator/github.js'
import { runJob, tempDir } from '../../scripts/lib/step.js'
import type * as Step from '../../scripts/lib/step-types.js'
import { emulatorInputs, emulatorSecrets, type CredentialKind } from './emulator-fixtures.js'
import { recordContract } from './openapi-contract.js'

export type * from '../../scripts/lib/step-types.js'
type StepOptions = Step.StepOptions
type StepResult = Step.StepResult
type LeakScan = Step.LeakScan

/** What the harness adds to a step's result: what it saw of the step from outside. */
export interface Observed {
  /** The Atlas requests that ended while the step ran, in order. */
  requests: RecordedRequest[]
  /** Everything the step made visible (log, annotations, summary, outputs, state), no masks. */
  visible: string
}

export type Tier = 'in-process' | 'dist'

export interface StepRunner<
  Result extends StepResult & Observed = StepResult & Observed,
  Options extends StepOptions = StepOptions
> {
  readonly tier: Tier
  emulator: Emulator
  /** Inputs naming the emulator, its project and one kind of credential. */
  inputs(kind: CredentialKind, extra?: Record<string, string>): Record<string, string>
  /** Runs one step; fails the test if a secret the emulator handed out or knows leaked. */
  step(entry: Step.StepEntry, options?: Options, scan?: LeakScan): Promise<Result>
  /** A main step with `kind` credentials and `extra` inputs: step('main', { inputs, ...options }). */
  main(
    kind: CredentialKind,
    extra?: Record<string, string>,
    options?: Omit<Options, 'inputs'>,
    scan?: LeakScan
  ): Promise<Result>
  /**
   * A main step, then its post step as the runner runs it: the same inputs and env, plus what
   * later steps appended to $GITHUB_ENV (`laterEnv`), and the state the main step saved.
   */
  job(
    options: Options & { laterEnv?: Step.LaterEnv },
    scan?: LeakScan
  ): Promise<Step.JobResult<Result>>
  /** A folder removed by close(). */
  tempDir(prefix: string): string
  secrets(): string[]
  close(): Promise<void>
}

/** How one tier runs a step; startRunner adds the emulator, the leak scan and the rest. */
export interface TierRunner<Options extends StepOptions, Raw extends StepResult> {
  tier: Tier
  /**
   * Runs one step. `ownDir` makes a folder that close() removes; `workDir` is one such folder
   * for the harness's life (the in-process tier's working folder).
   */
  run(
    entry: Step.StepEntry,
    options: Options,
    context: { ownDir: (prefix: string) => string; workDir: string }
  ): Promise<Raw>
  /** Everything the step made visible but its masks. */
  visible(raw: Raw): string
  /** Where a secret shows up in what the step made visible; empty when none. */
  findLeaks(raw: Raw, secrets: readonly string[], scan: LeakScan): string[]
}

/**
 * Starts an emulator and a StepRunner of `tier` on it: every step is leak-scanned, and every
 * exchange of the action with the emulator keeps the official contract (checked at close()).
 */
export async function startRunner<Options extends StepOptions, Raw extends StepResult>(
  tier: TierRunner<Options, Raw>,
  options?: EmulatorOptions
): Promise<StepRunner<Raw & Observed, Options>> {
  // Client keys from a pool of two: a fresh RSA key for each of the suite's hundreds of
  // certificates would be a third of its CPU time. A test that needs fresh keys passes 0.
  const emulator = await startEmulator({ clientKeyPool: 2, ...options })
  const contract = recordContract(emulator)
  // Folders made here (job()'s runner temps included): kept for the test to inspect until close().
  const owned: string[] = []
  const ownDir = (prefix: string) => {
    const dir = tempDir(prefix)
    owned.push(dir)
    return dir
  }
  const context = { ownDir, workDir: ownDir('step-work-') }
  const secrets = () => emulatorSecrets(emulator)
  const runner: StepRunner<Raw & Observed, Options> = {
    tier: tier.tier,
    emulator,
    secrets,
    tempDir: ownDir,
    inputs: (kind, extra = {}) => emulatorInputs(emulator, kind, extra),
    async step(entry, stepOptions = {} as Options, scan = {}) {
      const { result: raw, requests } = await observingRequests(emulator, () =>
        tier.run(entry, stepOptions, context)
      )
      const leaks = tier.findLeaks(raw, secrets(), scan)
      if (leaks.length > 0)
        throw new Error(`Secret leaked by the ${entry} step: ${leaks.join('; ')}`)
      return { ...raw, requests, visible: tier.visible(raw) }
    },
    main: (kind, extra = {}, stepOptions, scan = {}) =>
      runner.step('main', { ...stepOptions, inputs: runner.inputs(kind, extra) } as Options, scan),
    job: (jobOptions, scan) =>
      runJob(
        (entry, stepOptions) => runner.step(entry, stepOptions as Options, scan),
        jobOptions,
        jobOptions.runnerTemp ?? ownDir('runner-temp-')
      ),
    async close() {
      await emulator.close()
      for (const dir of owned) rmSync(dir, { recursive: true, force: true })
      contract.assertClean()
    }
  }
  return runner
}

/** Runs `step` while recording the Atlas requests that end meanwhile. */
export async function observingRequests<Result>(
  emulator: Emulator,
  step: () => Promise<Result>
): Promise<{ result: Result; requests: RecordedRequest[] }> {
  const requests: RecordedRequest[] = []
  const stop = emulator.onExchange(record => {
    if (!record.path.startsWith('/__emulator')) requests.push(record)
  })
  try {
    return { result: await step(), requests }
  } finally {
    stop()
  }
}

/**
 * Something a test file starts before its tests and stops after them, as a handle usable at the
 * file's top level (e.g. by a scenario module's `it`s): its members are those of the started
 * thing, and reading one before beforeAll has run throws. `reset` runs before each test.
 */
export function startedForFile<Started extends object>(
  start: () => Promise<Started>,
  stop: (started: Started) => Promise<unknown>,
  reset?: (started: Started) => void
): Started {
  let started: Started | undefined
  beforeAll(async () => {
    started = await start()
  })
  afterAll(async () => {
    if (started) await stop(started)
  })
  if (reset) beforeEach(() => started && reset(started))
  return new Proxy({} as Started, {
    get(_, key) {
      if (!started) throw new Error(`Read ${String(key)} before beforeAll started it`)
      const value: unknown = Reflect.get(started, key)
      return typeof value === 'function' ? (value as () => unknown).bind(started) : value
    }
  })
}

/** An emulator harness for a test file: requests and scripted faults cleared before each test. */
export function runnerForFile<Runner extends StepRunner<StepResult & Observed>>(
  start: (options?: EmulatorOptions) => Promise<Runner>,
  options?: EmulatorOptions,
  reset?: (runner: Runner) => void
): Runner {
  return startedForFile(
    () => start(options),
    runner => runner.close(),
    runner => {
      runner.emulator.clearRequests()
      runner.emulator.clearFaults()
      reset?.(runner)
    }
  )
}

/** The GitHub emulator for a test file: requests and scripted faults cleared before each test. */
export function githubForFile(): GitHubEmulator {
  return startedForFile(
    startGitHubEmulator,
    github => github.close(),
    github => {
      github.clearRequests()
      github.clearFaults()
    }
  )
}

/** The runner's environment that points `github-secret` at the GitHub emulator. */
export const githubEnvOf = (github: GitHubEmulator) => ({
  GITHUB_API_URL: github.url,
  GITHUB_REPOSITORY: github.repository
})
