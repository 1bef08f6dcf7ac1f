/**
 * The in-process tier: `run()` (main step) and `runPost()` (post step) called directly against the
 * emulator, with a recording ActionIO, a fake clock and inputs/env injected. Every step is scanned
 * for secrets in everything the IO saw, as `findLeaks` does for the spawned bundle.
 */
import type { GitHubEmulator } from '../../emulator/github.js'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { EmulatorOptions } from '../../emulator/index.js'
import { runPost } from '../../src/post-step.js'
import type { ActionIO } from '../../src/io.js'
import { run } from '../../src/main.js'
import type { RunDependencies } from '../../src/runtime.js'
import { ACCESS_TOKEN_STATE, isAccessTokenRecord } from '../../scripts/lib/step.js'
import {
  DIST_ONLY,
  refuseOptions,
  type Annotation,
  type StepOptions as CommonStepOptions,
  type StepResult as CommonStepResult
} from '../../scripts/lib/step-types.js'
import {
  githubForFile,
  runnerForFile,
  startedForFile,
  startRunner,
  type Observed,
  type StepRunner,
  type TierRunner
} from './harness.js'

export { githubEnvOf } from './harness.js'
export type { Annotation, JobResult, LaterEnv, LeakScan } from '../../scripts/lib/step-types.js'

export * from './emulator-fixtures.js'

/** Structurally the `Clock` the action uses (declared here: its module may move). */
export interface Clock {
  now(): number
  sleep(ms: number): Promise<void>
}

/**
 * Real time plus an offset; `sleep` advances the offset at once and records the wait. With
 * `stopped`, only `sleep` moves it: what a test counts against it (polls before an apply delay
 * ends) cannot then depend on how busy the machine is.
 */
export class FakeClock implements Clock {
  offsetMs = 0
  readonly sleeps: number[] = []
  private readonly stoppedAt: number | undefined
  constructor(options: { stopped?: boolean } = {}) {
    this.stoppedAt = options.stopped ? Date.now() : undefined
  }
  now(): number {
    return (this.stoppedAt ?? Date.now()) + this.offsetMs
  }
  sleep(ms: number): Promise<void> {
    this.sleeps.push(ms)
    this.offsetMs += ms
    return Promise.resolve()
  }
}

/** Everything the action did to the runner, in order. */
export type IOEvent =
  | { kind: 'setSecret'; value: string }
  | { kind: 'setOutput'; name: string; value: string }
  | { kind: 'saveState'; name: string; value: string }
  | { kind: 'debug' | 'info'; message: string }
  | { kind: 'notice' | 'warning'; message: string; title?: string }
  | { kind: 'fail'; message: string; title: string }
  | { kind: 'summary'; heading: string; rows: string[][] }

/** An ActionIO that records; `getState` serves the state given to it (what a main step saved). */
export class RecordingIO implements ActionIO {
  readonly events: IOEvent[] = []
  constructor(private readonly savedState: Record<string, string> = {}) {}
  setSecret(value: string): void {
    this.events.push({ kind: 'setSecret', value })
  }
  setOutput(name: string, value: string): void {
    this.events.push({ kind: 'setOutput', name, value })
  }
  saveState(name: string, value: string): void {
    this.events.push({ kind: 'saveState', name, value })
  }
  getState(name: string): string {
    return this.savedState[name] ?? ''
  }
  debug(message: string): void {
    this.events.push({ kind: 'debug', message })
  }
  info(message: string): void {
    this.events.push({ kind: 'info', message })
  }
  notice(message: string, title?: string): void {
    this.events.push({ kind: 'notice', message, title })
  }
  warning(message: string, title?: string): void {
    this.events.push({ kind: 'warning', message, title })
  }
  fail(message: string, title: string): void {
    this.events.push({ kind: 'fail', message, title })
  }
  summary(heading: string, rows: ReadonlyArray<readonly [string, string]>): Promise<void> {
    this.events.push({ kind: 'summary', heading, rows: rows.map(row => [...row]) })
    return Promise.resolve()
  }
  /** A table with a header row: recorded as the header row, then the rows. */
  summaryTable(
    heading: string,
    header: readonly string[],
    rows: ReadonlyArray<readonly string[]>
  ): Promise<void> {
    this.events.push({ kind: 'summary', heading, rows: [[...header], ...rows.map(r => [...r])] })
    return Promise.resolve()
  }
}

/**
 * The common step result (`log`: every printed line, debug, info and annotations, in order;
 * `summary`: the tables as `### heading` then `name | value` rows), with what only this tier sees.
 */
export interface StepResult extends CommonStepResult, Observed {
  /** 1 when the step called `fail`, else 0 (as the runner sees the exit code). */
  exitCode: number
  debug: string[]
  info: string[]
  summaries: Array<{ heading: string; rows: string[][] }>
  events: IOEvent[]
  clock: FakeClock
}

function resultOf(io: RecordingIO, clock: FakeClock): Omit<StepResult, 'requests' | 'visible'> {
  const outputs: Record<string, string> = {}
  const state: Record<string, string> = {}
  const masks: string[] = []
  const debug: string[] = []
  const info: string[] = []
  const log: string[] = []
  const annotations: Annotation[] = []
  const summaries: StepResult['summaries'] = []
  for (const event of io.events) {
    switch (event.kind) {
      case 'setSecret':
        masks.push(event.value)
        break
      case 'setOutput':
        outputs[event.name] = event.value
        break
      case 'saveState':
        state[event.name] = event.value
        break
      case 'debug':
        debug.push(event.message)
        log.push(`::debug::${event.message}`)
        break
      case 'info':
        info.push(event.message)
        log.push(event.message)
        break
      case 'notice':
      case 'warning':
        annotations.push({ level: event.kind, title: event.title, message: event.message })
        log.push(`::${event.kind} title=${event.title ?? ''}::${event.message}`)
        break
      case 'fail':
        annotations.push({ level: 'error', title: event.title, message: event.message })
        log.push(`::error title=${event.title}::${event.message}`)
        break
      case 'summary':
        summaries.push({ heading: event.heading, rows: event.rows })
        break
    }
  }
  const summary = summaries
    .map(s => [`### ${s.heading}`, ...s.rows.map(row => row.join(' | '))].join('\n'))
    .join('\n')
  return {
    exitCode: annotations.some(a => a.level === 'error') ? 1 : 0,
    outputs,
    state,
    masks,
    debug,
    info,
    log: log.join('\n'),
    summary,
    summaries,
    annotations,
    errors: annotations.filter(a => a.level === 'error'),
    warnings: annotations.filter(a => a.level === 'warning'),
    notices: annotations.filter(a => a.level === 'notice'),
    events: io.events,
    clock
  }
}

/** The text of an event as the runner would carry it somewhere visible ('' for setSecret). */
function visibleText(event: IOEvent, certificateOutputAllowed: boolean): string {
  switch (event.kind) {
    case 'setSecret':
      return ''
    case 'setOutput':
      return event.name === 'certificate' && certificateOutputAllowed ? '' : event.value
    case 'saveState':
      return event.name === ACCESS_TOKEN_STATE && isAccessTokenRecord(event.value)
        ? ''
        : event.value
    case 'summary':
      return [event.heading, ...event.rows.flat()].join('\n')
    case 'fail':
    case 'notice':
    case 'warning':
      return `${event.title ?? ''}\n${event.message}`
    default:
      return event.message
  }
}

/** Where a secret shows up in what the IO saw, other than setSecret (and `certificate` when asked for). */
export function findLeaks(
  result: Pick<StepResult, 'events'>,
  secrets: readonly string[],
  options: { certificateOutputAllowed?: boolean } = {}
): string[] {
  const leaks: string[] = []
  for (const secret of secrets) {
    if (secret.length < 8) continue
    for (const event of result.events) {
      if (visibleText(event, options.certificateOutputAllowed ?? false).includes(secret))
        leaks.push(`${event.kind} contains ${secret.slice(0, 6)}…`)
    }
  }
  return leaks
}

/** Secrets that reached the IO (anywhere, `certificate` output included) before setSecret registered them. */
export function unmaskedBeforeUse(result: Pick<StepResult, 'events'>, secrets: readonly string[]) {
  const late: string[] = []
  for (const secret of secrets) {
    if (secret.length < 8) continue
    for (const event of result.events) {
      if (event.kind === 'setSecret') {
        if (event.value.includes(secret)) break
        continue
      }
      if (visibleText(event, false).includes(secret)) {
        late.push(`${event.kind} shows ${secret.slice(0, 6)}… before it is masked`)
        break
      }
    }
  }
  return late
}

/**
 * Everything the step made visible (logs, annotations, summaries, outputs, state), one text: what
 * a test scans for text that must never appear (as findLeaks does for the harness's secrets).
 * setSecret values are not in it; the `certificate` output only when not allowed.
 */
export function visible(
  result: Pick<StepResult, 'events'>,
  options: { certificateOutputAllowed?: boolean } = {}
): string {
  return result.events
    .map(event => visibleText(event, options.certificateOutputAllowed ?? false))
    .join('\n')
}

/** An ActionIO that records every call and passes it on to another (e.g. coreIO) as well. */
function teeIO(recording: RecordingIO, other: ActionIO): ActionIO {
  return {
    setSecret: value => (recording.setSecret(value), other.setSecret(value)),
    setOutput: (name, value) => (recording.setOutput(name, value), other.setOutput(name, value)),
    saveState: (name, value) => (recording.saveState(name, value), other.saveState(name, value)),
    getState: name => recording.getState(name),
    debug: message => (recording.debug(message), other.debug(message)),
    info: message => (recording.info(message), other.info(message)),
    notice: (message, title) => (recording.notice(message, title), other.notice(message, title)),
    warning: (message, title) => (recording.warning(message, title), other.warning(message, title)),
    fail: (message, title) => (recording.fail(message, title), other.fail(message, title)),
    summary: async (heading, rows) => {
      await recording.summary(heading, rows)
      await other.summary(heading, rows)
    },
    summaryTable: async (heading, header, rows) => {
      await recording.summaryTable(heading, header, rows)
      await other.summaryTable(heading, header, rows)
    }
  }
}

/** The lines of every private-key block in a PEM text (what must never be printed). */
export function keyLines(pem: string): string[] {
  const lines: string[] = []
  let inKey = false
  for (const line of pem.split(/\r?\n/)) {
    if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(line)) inKey = true
    else if (/-----END [A-Z ]*PRIVATE KEY-----/.test(line)) inKey = false
    else if (inKey && line.trim()) lines.push(line.trim())
  }
  return lines
}

/** The per-run temp folder (made by jest's globalSetup; os.tmpdir() points at it). */
export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix))
}

/** The common step options; the clock, when given, is a FakeClock (the result hands it back). */
export interface StepOptions extends CommonStepOptions {
  clock?: FakeClock
}

/** The in-process StepRunner: run()/runPost() against the emulator, leak-scanned. */
export type InProcessAtlas = StepRunner<StepResult, StepOptions>

const inProcessTier: TierRunner<StepOptions, Omit<StepResult, keyof Observed>> = {
  tier: 'in-process',
  async run(entry, options, { ownDir, workDir }) {
    refuseOptions('in-process', options, DIST_ONLY)
    const inputs = options.inputs ?? {}
    const clock = options.clock ?? new FakeClock()
    const io = new RecordingIO(options.state)
    const deps: Partial<RunDependencies> = {
      ...(options.fs ? { fs: options.fs } : {}),
      ...(options.githubSecretStore ? { githubSecretStore: options.githubSecretStore } : {}),
      // Like core.getInput: '' when unset, surrounding whitespace trimmed.
      readInput: name => (inputs[name] ?? '').trim(),
      env: { RUNNER_TEMP: options.runnerTemp ?? ownDir('runner-temp-'), ...options.env },
      io: options.alsoTo ? teeIO(io, options.alsoTo) : io,
      clock,
      cwd: options.cwd ?? workDir
    }
    await (entry === 'main' ? run(deps) : runPost(deps))
    return resultOf(io, clock)
  },
  visible: result => visible(result),
  findLeaks: (result, secrets, scan) => findLeaks(result, secrets, scan)
}

export function startAtlas(options?: EmulatorOptions): Promise<InProcessAtlas> {
  return startRunner(inProcessTier, options)
}

/**
 * One emulator for a test file, as a handle usable at the file's top level: started before its
 * tests, emptied of requests and faults before each, closed (with its contract check) after them.
 */
export function atlasForFile(options?: EmulatorOptions): InProcessAtlas {
  return runnerForFile(startAtlas, options)
}

/** As atlasForFile, handing the started harness to `assign` (the file's variable). */
export function startAtlasForFile(
  assign: (atlas: InProcessAtlas) => void,
  options?: EmulatorOptions
): void {
  startedForFile(
    async () => {
      const atlas = await startAtlas(options)
      assign(atlas)
      return atlas
    },
    atlas => atlas.close(),
    atlas => {
      atlas.emulator.clearRequests()
      atlas.emulator.clearFaults()
    }
  )
}

/**
 * The Atlas and GitHub emulators for a test file, like startAtlasForFile: GitHub's requests and
 * scripted faults are cleared before each test too.
 */
export function startAtlasAndGitHubForFile(
  assign: (atlas: InProcessAtlas, github: GitHubEmulator) => void
): void {
  const atlas = atlasForFile()
  const github = githubForFile()
  beforeAll(() => assign(atlas, github))
}

/**
 * A main step with an API key, no retries and a repository in the environment: one answer from
 * the emulator decides the outcome (the hostile-answer tests script that answer).
 */
export function singleTryStep(
  atlas: InProcessAtlas,
  inputs: Record<string, string>,
  options: StepOptions = {}
): Promise<StepResult> {
  return atlas.step('main', {
    inputs: atlas.inputs('api-key', { 'max-retries': '0', ...inputs }),
    env: { GITHUB_REPOSITORY: 'acme/app' },
    ...options
  })
}
