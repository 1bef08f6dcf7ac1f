/**
 * The step harness both tiers share: a `StepRunner` (the in-process one of ./inprocess.ts, the
 * dist/ one of ./atlas.ts) runs a step against the emulator, scans it for leaks and gives back
 * the same result shape. A scenario that takes a StepRunner is written once and run by each tier
 * that needs it (see ../scenarios/).
 */
import type { Emulator, EmulatorOptions } from '../../emulator/index.js'
import type { RecordedRequest } from '../../emulator/types.js'
import { startGitHubEmulator, type GitHubEmulator } from '../../emulator/github.js'
import type {
  JobResult,
  LaterEnv,
  LeakScan,
  StepEntry,
  StepOptions,
  StepResult
} from '../../scripts/lib/step-types.js'
import type { CredentialKind } from './emulator-fixtures.js'

export type {
  Annotation,
  JobResult,
  LaterEnv,
  LeakScan,
  StepEntry,
  StepOptions,
  StepResult
} from '../../scripts/lib/step-types.js'

/** What the harness adds to a step's result: what it saw of the step from outside. */
export interface Observed {
  /** The Atlas requests that ended while the step ran, in order. */
  requests: RecordedRequest[]
  /** Everything the step made visible (log, annotations, summary, outputs, state), no masks. */
  visible: string
}

export type Tier = 'in-process' | 'dist'

export interface StepRunner<Result extends StepResult & Observed = StepResult & Observed> {
  readonly tier: Tier
  emulator: Emulator
  /** Inputs naming the emulator, its project and one kind of credential. */
  inputs(kind: CredentialKind, extra?: Record<string, string>): Record<string, string>
  /** Runs one step; fails the test if a secret the emulator handed out or knows leaked. */
  step(entry: StepEntry, options?: StepOptions, scan?: LeakScan): Promise<Result>
  /**
   * A main step, then its post step as the runner runs it: the same inputs and env, plus what
   * later steps appended to $GITHUB_ENV (`laterEnv`), and the state the main step saved.
   */
  job(options: StepOptions & { laterEnv?: LaterEnv }, scan?: LeakScan): Promise<JobResult<Result>>
  /** A folder removed by close(). */
  tempDir(prefix: string): string
  secrets(): string[]
  close(): Promise<void>
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
      return typeof value === 'function' ? value.bind(started) : value
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
