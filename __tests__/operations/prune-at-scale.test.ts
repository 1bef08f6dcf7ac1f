/**
 * prune-ephemeral-users at scale: a few deletes at a time (each with its own Digest nonce), paced
 * by Atlas's rate-limit headers, stopped by the first budget error, and a summary that stays small.
 */
import { expect } from '@jest/globals'
import { deleteInParallel, PARALLEL_DELETES } from '../../src/operations/prune-ephemeral-users.js'
import { RequestLimiter } from '../../src/atlas/limiter.js'
import { atlasRequests, atlasForFile, startAtlas } from '../support/inprocess.js'

const atlas = atlasForFile()
beforeEach(() => {
  for (const user of atlas.emulator.users(atlas.emulator.groupId))
    if (user.username.startsWith('old-')) atlas.emulator.addUser(atlas.emulator.groupId, user)
})

/** `count` expired users this action created, named old-0 … */
function addExpiredUsers(count: number, prefix: string, target = atlas): string[] {
  const names = Array.from({ length: count }, (_, i) => `${prefix}-${i}`)
  for (const username of names)
    target.emulator.addUser(target.emulator.groupId, {
      username,
      labels: [
        { key: 'managed-by', value: 'atlas-x509-action' },
        { key: 'expires-at', value: '2026-01-01T00:00:00.000Z' },
        { key: 'github-run', value: 'o/r/1/1/job' }
      ]
    })
  return names
}

const deletePath = /\/databaseUsers\/%24external\//

/** Every DELETE of a user answers after `delayMs`. */
const slowDeletes = (delayMs: number, target = atlas) =>
  target.emulator.fault({
    method: 'DELETE',
    path: deletePath,
    kind: 'delay',
    delayMs,
    times: Infinity
  })

it(`deletes ${PARALLEL_DELETES} at a time, each worker with its own Digest nonce`, async () => {
  const names = addExpiredUsers(12, 'batch')
  slowDeletes(150, atlas)
  // Counted, not timed: how many deletes the emulator holds at once, whenever one is answered.
  let mostAtOnce = 0
  const stop = atlas.emulator.onExchange(record => {
    if (record.method !== 'DELETE') return
    const open = atlas.emulator.requests.filter(r => r.method === 'DELETE' && r.status === 0)
    mostAtOnce = Math.max(mostAtOnce, open.length + 1)
  })
  const main = await atlas
    .step('main', {
      inputs: atlas.inputs('api-key', { operation: 'prune-ephemeral-users' })
    })
    .finally(stop)
  expect(main.errors).toEqual([])
  expect((JSON.parse(main.outputs.pruned!) as string[]).sort()).toEqual([...names].sort())
  // Each delete held 150 ms: the workers' deletes overlap, never more of them than there are workers.
  expect(mostAtOnce).toBe(PARALLEL_DELETES)
  const signed = atlasRequests(atlas.emulator).filter(
    r => r.method === 'DELETE' && r.auth === 'digest'
  )
  const nonces = new Set(signed.map(r => /nonce="([^"]+)"/.exec(r.headers.authorization!)![1]))
  expect(signed).toHaveLength(12)
  expect(nonces.size).toBeGreaterThan(1)
  expect(nonces.size).toBeLessThanOrEqual(PARALLEL_DELETES + 1)
})

// A second of real waiting: an emulator of its own, so that it runs alongside the other tests.
it.concurrent(
  'stops at the first budget error with one message; the rest stay for the next run',
  async () => {
    const own = await startAtlas()
    try {
      const names = addExpiredUsers(10, 'slow', own)
      slowDeletes(30_000, own)
      const started = Date.now()
      const main = await own.step('main', {
        inputs: own.inputs('service-account', {
          operation: 'prune-ephemeral-users',
          'timeout-seconds': '1'
        })
      })
      // Far from the 30 s an answer takes, and loose for a busy machine.
      expect(Date.now() - started).toBeLessThan(10_000)
      expect(main.errors).toEqual([
        {
          level: 'error',
          title: 'Atlas API unreachable',
          message: expect.stringMatching(
            new RegExp(
              `budget of 1 s .*Deleted 0 of 10 expired user\\(s\\) before stopping; ${PARALLEL_DELETES} delete\\(s\\) got no answer \\(they may have taken effect\\); ${10 - PARALLEL_DELETES} not tried are left for the next run`
            )
          )
        }
      ])
      expect(atlasRequests(own.emulator).filter(r => r.method === 'DELETE')).toHaveLength(
        PARALLEL_DELETES
      )
      own.emulator.clearFaults()
      for (const name of names)
        expect(own.emulator.getUser(own.emulator.groupId, '$external', name)).toBeDefined()
    } finally {
      await own.close()
    }
  }
)

it('keeps the summary short on a long list and says how many rows it left out', async () => {
  addExpiredUsers(60, 'many')
  const main = await atlas.step('main', {
    inputs: atlas.inputs('api-key', { operation: 'prune-ephemeral-users', 'dry-run': 'true' })
  })
  expect(main.errors).toEqual([])
  expect(
    (JSON.parse(main.outputs.pruned!) as string[]).filter(n => n.startsWith('many-'))
  ).toHaveLength(60)
  const rows = main.summaries[0]!.rows
  expect(rows.filter(row => row[0]!.startsWith('many-')).length).toBeLessThanOrEqual(50)
  expect(rows.at(-1)).toEqual(['…', expect.stringMatching(/^\d+ more not listed here/)])
})

describe('deleteInParallel', () => {
  /** Runs the deletes against a fake that tracks how many are in flight. */
  async function maxInFlight(remaining: () => number | undefined): Promise<number> {
    let inFlight = 0
    let peak = 0
    await deleteInParallel(
      Array.from({ length: 20 }, (_, i) => `u${i}`),
      new RequestLimiter(PARALLEL_DELETES, remaining),
      async () => {
        inFlight += 1
        peak = Math.max(peak, inFlight)
        await new Promise(done => setTimeout(done, 2))
        inFlight -= 1
        return true
      }
    )
    return peak
  }

  it(`runs ${PARALLEL_DELETES} at a time while the rate-limit bucket has room`, async () => {
    expect(await maxInFlight(() => undefined)).toBe(PARALLEL_DELETES)
    expect(await maxInFlight(() => 100)).toBe(PARALLEL_DELETES)
  })

  it('falls back to one at a time when RateLimit-Remaining is low', async () => {
    expect(await maxInFlight(() => 1)).toBe(1)
  })
})
