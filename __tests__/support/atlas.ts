/** The emulator plus the dist/ step runner, with the leak scan applied to every step a test runs. */
import type { EmulatorOptions } from '../../emulator/index.js'
import {
  findLeaks,
  runStep,
  type StepOptions,
  type StepResult as SpawnedStepResult
} from '../../scripts/lib/step.js'
import { runnerForFile, startRunner, type Observed, type StepRunner } from './harness.js'

export * from './emulator-fixtures.js'
export { githubEnvOf, githubForFile } from './harness.js'

/** A spawned step's result (stdout, stderr, files, durationMs) with what the harness observed. */
export interface StepResult extends SpawnedStepResult, Observed {}

/** The dist/ StepRunner: the bundle on Node 24 against the emulator, leak-scanned. */
export type Atlas = StepRunner<StepResult, StepOptions>

/** Everything a spawned step made visible, but for its ::add-mask:: lines. */
function visibleOf(result: SpawnedStepResult): string {
  const stdout = result.stdout
    .split('\n')
    .filter(line => !line.startsWith('::add-mask::'))
    .join('\n')
  return [stdout, result.stderr, ...Object.values(result.files)].join('\n')
}

export function startAtlas(options?: EmulatorOptions): Promise<Atlas> {
  return startRunner(
    {
      tier: 'dist',
      run: (entry, stepOptions) => runStep(entry, stepOptions),
      visible: visibleOf,
      findLeaks
    },
    options
  )
}

/**
 * One emulator for a test file, as a handle usable at the file's top level: started before its
 * tests, emptied of requests and faults before each, closed (with its contract check) after them.
 */
export function atlasForFile(options?: EmulatorOptions): Atlas {
  return runnerForFile(startAtlas, options)
}
