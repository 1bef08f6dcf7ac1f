/**
 * A small operation-tier harness: `run()` in process against the in-process emulator, with a
 * recording ActionIO and a clock that never sleeps for real.
 */
import { startEmulator, type Emulator, type EmulatorOptions } from '../../emulator/index.js'
import { nodeFileSystem, type FileSystem } from '../../src/certificate/file.js'
import type { Clock } from '../../src/clock.js'
import type { ActionIO } from '../../src/io.js'
import { run } from '../../src/main.js'
import { tempDir } from '../../scripts/lib/step.js'

export interface Annotation {
  message: string
  title?: string
}

/** Everything a step did to the runner, in order of kind. */
export interface Recording {
  secrets: string[]
  outputs: Record<string, string>
  state: Record<string, string>
  debug: string[]
  info: string[]
  notices: Annotation[]
  warnings: Annotation[]
  errors: Annotation[]
  summaries: Array<{ heading: string; rows: string[][] }>
}

export function recordingIO(savedState: Record<string, string> = {}): ActionIO & {
  recording: Recording
} {
  const recording: Recording = {
    secrets: [],
    outputs: {},
    state: {},
    debug: [],
    info: [],
    notices: [],
    warnings: [],
    errors: [],
    summaries: []
  }
  return {
    recording,
    setSecret: value => recording.secrets.push(value),
    setOutput: (name, value) => (recording.outputs[name] = value),
    saveState: (name, value) => (recording.state[name] = value),
    getState: name => savedState[name] ?? '',
    debug: message => recording.debug.push(message),
    info: message => recording.info.push(message),
    notice: (message, title) => recording.notices.push({ message, title }),
    warning: (message, title) => recording.warnings.push({ message, title }),
    fail: (message, title) => recording.errors.push({ message, title }),
    summary: async (heading, rows) => {
      recording.summaries.push({ heading, rows: rows.map(row => [...row]) })
    },
    summaryTable: async (heading, header, rows) => {
      recording.summaries.push({ heading, rows: [[...header], ...rows.map(row => [...row])] })
    }
  }
}

/** Starts at `start` and moves only when the code under test sleeps. */
export function fakeClock(start = Date.now()): Clock & { advance(ms: number): void } {
  let now = start
  return {
    now: () => now,
    sleep: async ms => {
      now += ms
    },
    advance: ms => {
      now += ms
    }
  }
}

/** Every text the step printed or wrote, except the `certificate` output. */
export function printed(recording: Recording): string {
  const outputs = Object.entries(recording.outputs)
    .filter(([name]) => name !== 'certificate')
    .map(([, value]) => value)
  return [
    ...recording.debug,
    ...recording.info,
    ...[...recording.notices, ...recording.warnings, ...recording.errors].flatMap(a => [
      a.title ?? '',
      a.message
    ]),
    ...recording.summaries.flatMap(s => [s.heading, ...s.rows.flat()]),
    ...outputs,
    ...Object.values(recording.state)
  ].join('\n')
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

export interface StepRun {
  recording: Recording
  runnerTemp: string
}

export interface Hostile {
  emulator: Emulator
  /** Runs the main step with these inputs (credentials, base-url and group-id added). */
  step(
    inputs: Record<string, string>,
    options?: { clock?: Clock; fs?: FileSystem; env?: Record<string, string>; io?: ActionIO }
  ): Promise<StepRun>
  close(): Promise<void>
}

export async function startHostile(options?: EmulatorOptions): Promise<Hostile> {
  const emulator = await startEmulator(options)
  return {
    emulator,
    async step(inputs, options = {}) {
      const runnerTemp = tempDir('hostile-runner-temp-')
      const all: Record<string, string> = {
        'base-url': emulator.url,
        'group-id': emulator.groupId,
        'public-key': emulator.credentials.publicKey,
        'private-key': emulator.credentials.privateKey,
        'max-retries': '0',
        ...inputs
      }
      const io = options.io ?? recordingIO()
      await run({
        env: { RUNNER_TEMP: runnerTemp, GITHUB_REPOSITORY: 'acme/app', ...options.env },
        readInput: name => (all[name] ?? '').trim(),
        io,
        clock: options.clock ?? fakeClock(),
        fs: options.fs ?? nodeFileSystem,
        cwd: runnerTemp
      })
      const recording = (io as { recording?: Recording }).recording ?? recordingIO().recording
      return { recording, runnerTemp }
    },
    close: () => emulator.close()
  }
}
