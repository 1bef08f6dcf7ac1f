/**
 * Cold start: wall time and peak RSS of short-lived node processes, spawned the way the runner
 * does (a fresh `node file.js`), with the subjects interleaved per round so they share noise.
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process'
import { readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { pathToFileURL } from 'node:url'
import { parseAnnotations } from '../lib/step.js'

export interface StartupSubject {
  name: string
  args: string[]
  /** Why a run does not count (it did not do what the subject should), or undefined if it does. */
  check(run: SpawnSyncReturns<string>): string | undefined
}

export interface StartupFigures {
  name: string
  wallMs: number[]
  /** maxRSS of each run, in KB. */
  rssKb: number[]
  /** One line per run that did not count. */
  invalid: string[]
}

const RUN_TIMEOUT_MS = 15_000

// Records the process's peak RSS as it exits; loaded with --import only in the RSS rounds,
// because loading it costs start-up time.
const RSS_PRELOAD = `import { writeFileSync } from 'node:fs'
process.on('exit', () => {
  writeFileSync(process.env.BENCH_RSS_FILE, String(process.resourceUsage().maxRSS))
})
`

/** A subject that must exit with `exitCode` and print the given ::error annotation. */
export function expectAnnotation(
  exitCode: number,
  title: string,
  message?: string
): StartupSubject['check'] {
  return run => {
    if (run.error) return `did not run: ${run.error.message}`
    const found = parseAnnotations(run.stdout).annotations.some(
      a =>
        a.level === 'error' && a.title === title && (message === undefined || a.message === message)
    )
    if (run.status !== exitCode || !found)
      return `exit ${run.status}, expected ${exitCode} with ::error title=${title}; stdout: ${tail(run.stdout)} stderr: ${tail(run.stderr)}`
    return undefined
  }
}

export function expectExitCode(exitCode: number): StartupSubject['check'] {
  return run => {
    if (run.error) return `did not run: ${run.error.message}`
    if (run.status !== exitCode)
      return `exit ${run.status}, expected ${exitCode}; stderr: ${tail(run.stderr)}`
    return undefined
  }
}

export function measureStartup(
  subjects: StartupSubject[],
  options: { runs: number; workDir: string; env: Record<string, string> }
): StartupFigures[] {
  const figures = subjects.map((s): StartupFigures => ({
    name: s.name,
    wallMs: [],
    rssKb: [],
    invalid: []
  }))
  const spawner = new Spawner(options.workDir, options.env)
  // Untimed: the first start of each file pays for a cold page cache.
  for (const subject of subjects) spawner.run(subject.args)

  forEachInterleaved(subjects, options.runs, (subject, i) => {
    const { run, wallMs } = spawner.run(subject.args)
    const problem = subject.check(run)
    if (problem) figures[i]!.invalid.push(`timing run: ${problem}`)
    else figures[i]!.wallMs.push(wallMs)
  })
  forEachInterleaved(subjects, options.runs, (subject, i) => {
    const { run, rssKb } = spawner.runWithRss(subject.args)
    const problem = subject.check(run) ?? (rssKb === undefined ? 'no RSS recorded' : undefined)
    if (problem) figures[i]!.invalid.push(`RSS run: ${problem}`)
    else figures[i]!.rssKb.push(rssKb!)
  })
  return figures
}

/** Every subject once per round; each round starts one subject later, so none is always first. */
function forEachInterleaved(
  subjects: StartupSubject[],
  rounds: number,
  visit: (subject: StartupSubject, index: number) => void
): void {
  for (let round = 0; round < rounds; round++) {
    for (let k = 0; k < subjects.length; k++) {
      const index = (round + k) % subjects.length
      visit(subjects[index]!, index)
    }
  }
}

class Spawner {
  private readonly env: Record<string, string>
  private readonly rssFile: string
  private readonly preloadUrl: string

  constructor(
    private readonly workDir: string,
    stepEnv: Record<string, string>
  ) {
    // Built from scratch, so NODE_OPTIONS and NODE_EXTRA_CA_CERTS are not inherited: the latter
    // alone adds ~25 ms to every start by parsing a CA bundle.
    this.env = {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: process.env.HOME ?? '/root',
      GITHUB_OUTPUT: join(workDir, 'startup-output'),
      GITHUB_STATE: join(workDir, 'startup-state'),
      ...stepEnv
    }
    this.rssFile = join(workDir, 'startup-rss')
    const preload = join(workDir, 'rss-preload.mjs')
    writeFileSync(preload, RSS_PRELOAD)
    this.preloadUrl = pathToFileURL(preload).href
  }

  run(args: string[], extraEnv: Record<string, string> = {}, command = process.execPath) {
    writeFileSync(this.env.GITHUB_OUTPUT!, '')
    writeFileSync(this.env.GITHUB_STATE!, '')
    const started = performance.now()
    const run = spawnSync(command, args, {
      env: { ...this.env, ...extraEnv },
      cwd: this.workDir,
      encoding: 'utf8',
      timeout: RUN_TIMEOUT_MS
    })
    return { run, wallMs: performance.now() - started }
  }

  runWithRss(args: string[]) {
    rmSync(this.rssFile, { force: true })
    // Linux keeps the RSS a process had before execve in maxRSS, and a child forked from this
    // bench starts with the bench's RSS (~56 MB). A shell in between forks node from a small
    // process instead (`; exit $?` stops the shell exec'ing node in place of itself).
    const viaShell = ['-c', '"$0" "$@"; exit $?', process.execPath, '--import', this.preloadUrl]
    const { run } = this.run([...viaShell, ...args], { BENCH_RSS_FILE: this.rssFile }, '/bin/sh')
    let rssKb: number | undefined
    try {
      rssKb = Number(readFileSync(this.rssFile, 'utf8'))
    } catch {
      rssKb = undefined
    }
    return { run, rssKb: Number.isFinite(rssKb) ? rssKb : undefined }
  }
}

function tail(text: string): string {
  const trimmed = text.trim()
  return JSON.stringify(trimmed.length > 300 ? `…${trimmed.slice(-300)}` : trimmed)
}
