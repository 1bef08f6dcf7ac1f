/**
 * Runs the bundled action as the runner does: `node dist/<entry>/index.js` with INPUT_* variables
 * (hyphens kept), fresh GITHUB_OUTPUT / GITHUB_STATE / GITHUB_STEP_SUMMARY files, RUNNER_TEMP, and
 * for the post step the saved state as STATE_* variables. Every run is scanned for secrets.
 */
import { execFileSync, spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import {
  IN_PROCESS_ONLY,
  refuseOptions,
  type Annotation,
  type JobResult,
  type LaterEnv,
  type StepEntry,
  type StepOptions,
  type StepResult as CommonStepResult
} from './step-types.js'

export type { Annotation, JobResult, LaterEnv, StepOptions } from './step-types.js'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
export const DIST = {
  main: join(ROOT, 'dist/main/index.js'),
  post: join(ROOT, 'dist/post/index.js')
}

/** The runtime of `action.yml` (`runs.using: node24`); the devDependency `node@24` provides it. */
export const RUNNER_NODE_MAJOR = 24
let runnerNodePath: string | undefined

/**
 * The Node.js binary the runner would use: `node_modules/node/bin/node` (devDependency `node`,
 * major 24), not the one running this process. Fails loudly when it is missing or another major.
 */
export function runnerNode(): string {
  if (runnerNodePath) return runnerNodePath
  const path = join(ROOT, 'node_modules/node/bin/node')
  if (!existsSync(path))
    throw new Error(
      `${path} is missing: the bundle runs on Node ${RUNNER_NODE_MAJOR} as on the runner (action.yml runs.using: node${RUNNER_NODE_MAJOR}). Run \`npm ci\` to install the devDependency \`node@${RUNNER_NODE_MAJOR}\`.`
    )
  const version = execFileSync(path, ['--version'], { encoding: 'utf8' }).trim()
  if (version.replace(/^v/, '').split('.')[0] !== String(RUNNER_NODE_MAJOR))
    throw new Error(
      `${path} is Node ${version}, not Node ${RUNNER_NODE_MAJOR} (action.yml runs.using: node${RUNNER_NODE_MAJOR}). Pin the devDependency \`node\` to major ${RUNNER_NODE_MAJOR} and run \`npm ci\`.`
    )
  return (runnerNodePath = path)
}

/** A spawned step: the common result (`log` is its stdout, masks unescaped) and the raw process. */
export interface StepResult extends CommonStepResult {
  stdout: string
  stderr: string
  durationMs: number
  /** The raw files the step wrote, for the leak scan. */
  files: { output: string; state: string; summary: string }
}

/**
 * The state a post step sees, as the runner builds it: `STATE_*` lines of $GITHUB_ENV first, then
 * every key the main step saved (even empty) over them.
 */
export function postStepState(
  mainState: Record<string, string>,
  laterEnv: LaterEnv = {}
): Record<string, string> {
  const injected = Object.entries(laterEnv)
    .filter(([name]) => name.startsWith('STATE_'))
    .map(([name, value]): [string, string] => [name.slice('STATE_'.length), value])
  return { ...Object.fromEntries(injected), ...mainState }
}

/** A job's post step: the main step's options, with the later $GITHUB_ENV lines and their state. */
export function postStepOptions<
  Options extends { env?: Record<string, string>; state?: Record<string, string> }
>(options: Options, mainState: Record<string, string>, laterEnv: LaterEnv = {}): Options {
  return {
    ...options,
    env: { ...options.env, ...laterEnv },
    state: postStepState(mainState, laterEnv)
  }
}

/**
 * A main step, then its post step as the runner runs it: the same inputs, env and runner temp,
 * plus what later steps appended to $GITHUB_ENV, and the state the main step saved.
 */
export async function runJob<Result extends CommonStepResult>(
  step: (entry: StepEntry, options: StepOptions) => Promise<Result>,
  options: StepOptions & { laterEnv?: LaterEnv },
  runnerTemp: string
): Promise<JobResult<Result>> {
  const { laterEnv = {}, ...stepOptions } = options
  const main = await step('main', { ...stepOptions, runnerTemp })
  const post = await step(
    'post',
    postStepOptions({ ...stepOptions, runnerTemp }, main.state, laterEnv)
  )
  return { main, post, runnerTemp }
}

/** Parses the `name<<delimiter` blocks that @actions/core appends to GITHUB_OUTPUT / GITHUB_STATE. */
export function parseFileCommands(text: string): Record<string, string> {
  const values: Record<string, string> = {}
  const lines = text.split('\n')
  for (let i = 0; i < lines.length; i++) {
    const match = /^([^<]+)<<(.+)$/.exec(lines[i]!)
    if (!match) continue
    const [, name, delimiter] = match
    const body: string[] = []
    for (i++; i < lines.length && lines[i] !== delimiter; i++) body.push(lines[i]!)
    values[name!] = body.join('\n')
  }
  return values
}

const unescapeData = (s: string) =>
  s.replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%25/g, '%')
const unescapeProperty = (s: string) => unescapeData(s).replace(/%3A/g, ':').replace(/%2C/g, ',')

export function parseAnnotations(stdout: string): { annotations: Annotation[]; masks: string[] } {
  const annotations: Annotation[] = []
  const masks: string[] = []
  for (const line of stdout.split('\n')) {
    const mask = /^::add-mask::(.*)$/.exec(line)
    if (mask) {
      masks.push(unescapeData(mask[1]!))
      continue
    }
    const match = /^::(error|warning|notice)(?: ([^:]*))?::(.*)$/.exec(line)
    if (!match) continue
    const props = Object.fromEntries(
      (match[2] ?? '')
        .split(',')
        .filter(Boolean)
        .map(p => [p.slice(0, p.indexOf('=')), unescapeProperty(p.slice(p.indexOf('=') + 1))])
    )
    annotations.push({
      level: match[1] as Annotation['level'],
      title: props.title,
      message: unescapeData(match[3]!)
    })
  }
  return { annotations, masks }
}

/** A new folder under the OS temp folder (under the test run's own folder when run by jest). */
export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix))
}

export async function runStep(
  entry: 'main' | 'post',
  options: StepOptions = {}
): Promise<StepResult> {
  refuseOptions('dist', options, IN_PROCESS_ONLY)
  const node = runnerNode()
  const work = tempDir('step-')
  const files = {
    output: join(work, 'output'),
    state: join(work, 'state'),
    summary: join(work, 'summary')
  }
  for (const file of Object.values(files)) writeFileSync(file, '')
  const ownRunnerTemp = options.runnerTemp === undefined
  const runnerTemp = options.runnerTemp ?? tempDir('runner-temp-')
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? '/root',
    GITHUB_OUTPUT: files.output,
    GITHUB_STATE: files.state,
    RUNNER_TEMP: runnerTemp,
    GITHUB_ACTIONS: 'true',
    ...(options.noSummary ? {} : { GITHUB_STEP_SUMMARY: files.summary }),
    ...options.env
  }
  for (const [name, value] of Object.entries(options.inputs ?? {}))
    env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] = value
  for (const [name, value] of Object.entries(options.state ?? {})) env[`STATE_${name}`] = value

  const started = Date.now()
  const child = spawn(node, [options.script ?? DIST[entry]], {
    env,
    cwd: options.cwd ?? work,
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', chunk => (stdout += chunk))
  child.stderr.on('data', chunk => (stderr += chunk))
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30_000)
  const exitCode = await new Promise<number | null>(done => child.on('close', code => done(code)))
  clearTimeout(timer)
  const durationMs = Date.now() - started

  const raw = {
    output: readFileSync(files.output, 'utf8'),
    state: readFileSync(files.state, 'utf8'),
    summary: readFileSync(files.summary, 'utf8')
  }
  rmSync(work, { recursive: true, force: true })
  if (ownRunnerTemp) rmSync(runnerTemp, { recursive: true, force: true })
  const { annotations, masks } = parseAnnotations(stdout)
  return {
    exitCode,
    stdout,
    stderr,
    log: stdout,
    outputs: parseFileCommands(raw.output),
    state: parseFileCommands(raw.state),
    summary: raw.summary,
    annotations,
    errors: annotations.filter(a => a.level === 'error'),
    warnings: annotations.filter(a => a.level === 'warning'),
    notices: annotations.filter(a => a.level === 'notice'),
    masks,
    durationMs,
    files: raw
  }
}

/**
 * The service account's access token, handed from the main step to the post step in state by
 * design as an exact `{value, expiresAt}` record: the leak scans allow it there and nowhere else.
 */
export const ACCESS_TOKEN_STATE = 'atlas-access-token'

export function isAccessTokenRecord(value: string): boolean {
  try {
    const record = JSON.parse(value) as Record<string, unknown>
    return (
      Object.keys(record).sort().join(',') === 'expiresAt,value' &&
      typeof record.value === 'string' &&
      typeof record.expiresAt === 'number'
    )
  } catch {
    return false
  }
}

/**
 * Where a secret shows up in what a step printed or wrote, other than inside an ::add-mask::
 * command (and the `certificate` output when the run asked for it). Empty means no leak.
 */
export function findLeaks(
  result: StepResult,
  secrets: readonly string[],
  options: { certificateOutputAllowed?: boolean } = {}
): string[] {
  const stdout = result.stdout
    .split('\n')
    .filter(line => !line.startsWith('::add-mask::'))
    .join('\n')
  let output = result.files.output
  if (options.certificateOutputAllowed && result.outputs.certificate !== undefined) {
    output = output.replace(result.outputs.certificate, '')
  }
  // The service account's access token goes to the post step in state by design, as a
  // `{value, expiresAt}` record under one name: allowed there and nowhere else.
  let state = result.files.state
  const handOver = result.state[ACCESS_TOKEN_STATE]
  if (handOver !== undefined && isAccessTokenRecord(handOver)) state = state.replace(handOver, '')
  const places: Record<string, string> = {
    stdout,
    stderr: result.stderr,
    'step summary': result.files.summary,
    'state file': state,
    'output file': output
  }
  const leaks: string[] = []
  for (const secret of secrets) {
    if (secret.length < 8) continue
    for (const [place, text] of Object.entries(places)) {
      if (text.includes(secret)) leaks.push(`${place} contains ${secret.slice(0, 6)}…`)
    }
  }
  return leaks
}
