/**
 * Test files in an order that keeps every worker busy to the end. Files that wait (real-time
 * waits, spawned runners) go first, while the quick in-process ones fill in behind them. jest
 * orders by the durations in its cache, and with none (a fresh clone) by file size: a fresh clone
 * then left the 6 s ephemeral-wait file for last, one worker alone on it (23.2 s against 26.2 s).
 * Within a tier, jest's own order stands.
 */
import { relative } from 'node:path'
import Sequencer from '@jest/test-sequencer'

const TIERS = [
  'dist/ephemeral-ready.test.ts', // waits for the 3 s apply delay
  'dist/',
  'emulator/cli.test.ts', // spawns the CLI eleven times
  'unit/budget.test.ts', // waits for connect deadlines
  'release/',
  'operations/',
  'emulator/',
  'contract/',
  'unit/'
]

function tier(test) {
  const path = relative(`${test.context.config.rootDir}/__tests__`, test.path)
  const index = TIERS.findIndex(prefix => path.startsWith(prefix))
  return index === -1 ? TIERS.length : index
}

export default class TierSequencer extends Sequencer {
  sort(tests) {
    return super
      .sort([...tests])
      .map((test, position) => ({ test, position, tier: tier(test) }))
      .sort((a, b) => a.tier - b.tier || a.position - b.position)
      .map(entry => entry.test)
  }
}
