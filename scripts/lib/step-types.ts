/**
 * What a step harness is given and gives back, the same for both tiers: the in-process one
 * (`run()`/`runPost()` with a recording IO) and the one that runs dist/ as the runner does. A
 * scenario written against these types runs in either.
 */
import type { FileSystem } from '../../src/certificate/file.js'
import type { Clock } from '../../src/clock.js'
import type { GitHubSecretStoreFactory } from '../../src/github/secret-store.js'
import type { ActionIO } from '../../src/io.js'

export type StepEntry = 'main' | 'post'

export interface Annotation {
  level: 'error' | 'warning' | 'notice'
  title?: string
  message: string
}

/** Options both tiers honour; a tier refuses the options of the other (see each field). */
export interface StepOptions {
  inputs?: Record<string, string>
  env?: Record<string, string>
  /** State for the post step: what its main step saved (see postStepState). */
  state?: Record<string, string>
  runnerTemp?: string
  cwd?: string
  /** In-process only: the clock the action uses (default: a FakeClock). */
  clock?: Clock
  /** In-process only: the file system the action uses, e.g. one that refuses writes. */
  fs?: FileSystem
  /**
   * In-process only: an IO that also gets every call, e.g. coreIO to see what the runner would
   * print; the step is still recorded and leak-scanned. getState is served from `state`.
   */
  alsoTo?: ActionIO
  /** In-process only: the GitHub secret store (default: Octokit), e.g. one that fails on cue. */
  githubSecretStore?: GitHubSecretStoreFactory
  /** dist only: the process is killed after this long (default 30 s). */
  timeoutMs?: number
  /** dist only: leave GITHUB_STEP_SUMMARY unset. */
  noSummary?: boolean
  /** dist only: another copy of the entry's bundle to run (default dist/<entry>/index.js). */
  script?: string
}

export const IN_PROCESS_ONLY = ['clock', 'fs', 'alsoTo', 'githubSecretStore'] as const
export const DIST_ONLY = ['timeoutMs', 'noSummary', 'script'] as const

/** Fails when `options` sets one of `names`: a scenario must not silently lose what it asked for. */
export function refuseOptions(
  tier: string,
  options: StepOptions,
  names: ReadonlyArray<keyof StepOptions>
): void {
  const given = names.filter(name => options[name] !== undefined)
  if (given.length > 0)
    throw new Error(`The ${tier} step harness cannot honour ${given.join(', ')}`)
}

/** What a step did, as the runner sees it; each tier adds what only it can see. */
export interface StepResult {
  /** The process's exit code (null when it was killed); in-process, 1 when the step failed. */
  exitCode: number | null
  outputs: Record<string, string>
  /** The last value saved for each name. */
  state: Record<string, string>
  /** What the step printed, in order (workflow commands included). */
  log: string
  /** The step summary as text. */
  summary: string
  annotations: Annotation[]
  errors: Annotation[]
  warnings: Annotation[]
  notices: Annotation[]
  /** Values registered as masks, in order. */
  masks: string[]
}

/** What a leak scan allows beyond masks and the access-token hand-over. */
export interface LeakScan {
  /** The `certificate` output holds the private key when the step was asked for it. */
  certificateOutputAllowed?: boolean
}

/**
 * Lines a later step of the job appended to $GITHUB_ENV: the post step's environment carries them
 * all, a `STATE_<name>` one included, unless the main step saved `<name>`.
 */
export type LaterEnv = Record<string, string>

/** A job's main step and its post step, and the runner temp folder they shared. */
export interface JobResult<Result extends StepResult = StepResult> {
  main: Result
  post: Result
  runnerTemp: string
}
