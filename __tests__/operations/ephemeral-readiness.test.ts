/**
 * wait-until-ready in detail: the emulator and the action share one fake clock, so a 3 s apply
 * delay passes as the action sleeps between polls, and no test sleeps for real.
 */
import { expect } from '@jest/globals'
import { SEEDED_CLUSTER, SEEDED_FLEX_CLUSTER } from '../../emulator/index.js'
import {
  atlasRequests,
  FakeClock,
  startAtlas,
  type InProcessAtlas as Atlas
} from '../support/inprocess.js'

// Stopped: the polls counted below fall between apply delays only if no real time passes.
const clock = new FakeClock({ stopped: true })
let atlas: Atlas
beforeAll(async () => {
  // Pages of one item: every cluster list takes as many pages as it has clusters.
  atlas = await startAtlas({
    now: () => new Date(clock.now()),
    applyDelayMs: 3000,
    maxPageSize: 1
  })
  const { emulator } = atlas
  emulator.addCluster(emulator.groupId, 'Cluster1', { applyDelayMs: 1000 })
  emulator.addCluster(emulator.groupId, 'FlexCluster1', { flex: true })
})
afterAll(() => atlas.close())
beforeEach(async () => {
  atlas.emulator.clearRequests()
  atlas.emulator.clearFaults()
  // A minute on: whatever the last test's post step changed has applied everywhere.
  await clock.sleep(60_000)
  clock.sleeps.length = 0
})

const step = (extra: Record<string, string>) =>
  atlas.job({
    inputs: atlas.inputs('api-key', {
      operation: 'create-ephemeral-user',
      roles: 'readWrite@app',
      ...extra
    }),
    clock
  })

const path = (r: { path: string }) =>
  r.path.replace(`/api/atlas/v2/groups/${atlas.emulator.groupId}`, '').replace(/\?.*$/, '')
const statusPolls = () =>
  atlasRequests(atlas.emulator)
    .filter(r => r.path.endsWith('/status'))
    .map(r => `${decodeURIComponent(path(r).split('/')[2]!)} ${r.status}`)
/** The next status poll answers 429 RATE_LIMITED with this Retry-After. */
const rateLimitStatusOnce = (retryAfter: string) =>
  atlas.emulator.fault({
    path: /\/status$/,
    kind: 'status',
    status: 429,
    errorCode: 'RATE_LIMITED',
    retryAfter
  })
const pollsOf = (name: string) => statusPolls().filter(p => p.startsWith(`${name} `)).length

describe('wait-until-ready', () => {
  it('scoped: polls only the scoped cluster, backing off 1 s ×1.5, until it applies', async () => {
    const { main, post } = await step({ scopes: SEEDED_CLUSTER })
    expect(main.errors).toEqual([])
    // Applied 3 s after the create: polls at 0, 1, 2.5 and 4.75 s.
    expect(clock.sleeps).toEqual([1000, 1500, 2250])
    expect(statusPolls()).toEqual(Array(4).fill(`${SEEDED_CLUSTER} 200`))
    const status = atlasRequests(atlas.emulator).find(r => r.path.endsWith('/status'))!
    expect(status.headers.accept).toBe('application/vnd.atlas.2023-01-01+json')
    expect(atlasRequests(atlas.emulator).some(r => /Clusters\b|clusters\?/.test(r.path))).toBe(
      false
    )
    expect(Number(main.outputs['ready-seconds'])).toBeGreaterThanOrEqual(4.7)
    expect(Number(main.outputs['ready-seconds'])).toBeLessThan(6)
    expect(main.summary).toContain(`applied on ${SEEDED_CLUSTER} after`)
    expect(main.log).toContain('every cluster reports APPLIED')
    expect(post.exitCode).toBe(0)
  })

  it('no scopes: lists every page of dedicated and Flex clusters, and waits for each', async () => {
    const { main } = await step({})
    expect(main.errors).toEqual([])
    const lists = atlasRequests(atlas.emulator).filter(r =>
      /\/(clusters|flexClusters)$/.test(path(r))
    )
    expect(
      lists.map(
        r =>
          `${path(r)} ${r.headers.accept} page ${new URL(r.path, 'http://x').searchParams.get('pageNum')}`
      )
    ).toEqual([
      '/clusters application/vnd.atlas.2024-08-05+json page 1',
      '/clusters application/vnd.atlas.2024-08-05+json page 2',
      '/flexClusters application/vnd.atlas.2024-11-13+json page 1',
      '/flexClusters application/vnd.atlas.2024-11-13+json page 2'
    ])
    // A cluster that applied is not asked again.
    expect(pollsOf(SEEDED_CLUSTER)).toBe(4)
    expect(pollsOf('Cluster1')).toBe(2)
    expect(pollsOf(SEEDED_FLEX_CLUSTER)).toBe(4)
    expect(pollsOf('FlexCluster1')).toBe(4)
    expect(main.log).toContain(
      `Waiting until ${SEEDED_CLUSTER}, Cluster1, ${SEEDED_FLEX_CLUSTER}, FlexCluster1 have applied the user`
    )
  })

  it('a cluster that never applies: one error naming it past ready-timeout-seconds, even past timeout-seconds; the post step deletes the user', async () => {
    const { emulator } = atlas
    emulator.setClusterApplies(emulator.groupId, SEEDED_FLEX_CLUSTER, false)
    try {
      const started = clock.now()
      const { main, post } = await step({
        scopes: `${SEEDED_CLUSTER}, ${SEEDED_FLEX_CLUSTER}`,
        'timeout-seconds': '5',
        'ready-timeout-seconds': '30'
      })
      expect(main.exitCode).toBe(1)
      expect(main.errors).toEqual([
        {
          level: 'error',
          title: 'Ephemeral user not ready',
          message: expect.stringContaining(
            `ready-timeout-seconds: 30), ${SEEDED_FLEX_CLUSTER} still reports changeStatus PENDING`
          )
        }
      ])
      expect(main.errors[0]!.message).not.toContain(`${SEEDED_CLUSTER},`)
      // Capped at 10 s, and the last poll lands on the deadline.
      expect(clock.sleeps).toEqual([1000, 1500, 2250, 3375, 5063, 7595, expect.any(Number)])
      expect(clock.sleeps.reduce((a, b) => a + b)).toBeLessThanOrEqual(30_000)
      expect(clock.now() - started).toBeLessThan(31_000)
      expect(main.outputs['ready-seconds']).toBeUndefined()
      expect(JSON.parse(main.state['ephemeral-user']!)).toMatchObject({ confirmed: true })
      expect(post.exitCode).toBe(0)
      expect(
        emulator.getUser(emulator.groupId, '$external', main.outputs.username!)
      ).toBeUndefined()
    } finally {
      emulator.setClusterApplies(emulator.groupId, SEEDED_FLEX_CLUSTER, true)
    }
  })

  it('backs off to 10 s between polls at most', async () => {
    const { emulator } = atlas
    emulator.setClusterApplyDelay(emulator.groupId, SEEDED_CLUSTER, 40_000)
    try {
      const { main } = await step({ scopes: SEEDED_CLUSTER })
      expect(main.errors).toEqual([])
      expect(Math.max(...clock.sleeps)).toBe(10_000)
      expect(clock.sleeps.slice(-2)).toEqual([10_000, 10_000])
    } finally {
      emulator.setClusterApplyDelay(emulator.groupId, SEEDED_CLUSTER, undefined)
    }
  })

  it('a 429 on a poll waits as Retry-After says, beyond timeout-seconds, then goes on', async () => {
    rateLimitStatusOnce('7')
    const { main } = await step({ scopes: SEEDED_CLUSTER, 'timeout-seconds': '5' })
    expect(main.errors).toEqual([])
    expect(clock.sleeps[0]).toBe(7000)
    expect(main.notices).toEqual([expect.objectContaining({ title: 'Atlas rate limit' })])
    // Applied 3 s after the create, and more than that has passed: the next poll says so.
    expect(statusPolls()).toEqual([`${SEEDED_CLUSTER} 429`, `${SEEDED_CLUSTER} 200`])
  })

  it('ready-timeout-seconds shorter than timeout-seconds bounds a Retry-After too: no 60 s wait for a 4 s budget', async () => {
    const { emulator } = atlas
    // Atlas's 429 asks for 60 s: more than the wait's 4 s, though within the step's 60 s.
    rateLimitStatusOnce('60')
    const started = clock.now()
    const { main, post } = await step({ scopes: SEEDED_CLUSTER, 'ready-timeout-seconds': '4' })
    expect(main.exitCode).toBe(1)
    expect(main.errors).toEqual([
      {
        level: 'error',
        title: 'Atlas RATE_LIMITED (HTTP 429)',
        message: expect.stringContaining(
          "would pass the wait's budget of 4 s (ready-timeout-seconds)"
        )
      }
    ])
    // Atlas's detail, its hint and what becomes of the user; the title is not repeated.
    expect(main.errors[0]!.message).not.toMatch(/^Atlas RATE_LIMITED/)
    expect(main.errors[0]!.message).toMatch(
      /Atlas rate-limited the request.* The post step deletes the user\.$/
    )
    expect(clock.now() - started).toBeLessThan(4000)
    expect(statusPolls()).toEqual([`${SEEDED_CLUSTER} 429`])
    expect(post.exitCode).toBe(0)
    expect(emulator.getUser(emulator.groupId, '$external', main.outputs.username!)).toBeUndefined()
  })

  it('a scope that names no cluster: one error naming it at the first poll; the post step deletes the user', async () => {
    const { emulator } = atlas
    const { main, post } = await step({ scopes: `${SEEDED_CLUSTER}, analytics-1` })
    expect(main.errors).toEqual([
      {
        level: 'error',
        title: 'Unknown cluster in scopes',
        message: expect.stringMatching(
          /^analytics-1 in scopes is not a cluster of project .*\. The post step deletes the user\.$/
        )
      }
    ])
    expect(clock.sleeps).toEqual([])
    expect(post.exitCode).toBe(0)
    expect(emulator.getUser(emulator.groupId, '$external', main.outputs.username!)).toBeUndefined()
  })

  it('with cleanup false, the error says the user stays until pruned', async () => {
    const { emulator } = atlas
    const main = await atlas.step('main', {
      inputs: atlas.inputs('api-key', {
        operation: 'create-ephemeral-user',
        roles: 'read@app',
        scopes: 'analytics-1',
        cleanup: 'false'
      }),
      clock
    })
    const username = main.outputs.username!
    expect(main.errors).toEqual([
      expect.objectContaining({
        title: 'Unknown cluster in scopes',
        message: expect.stringContaining(
          `With cleanup false the user ${username} stays until prune-ephemeral-users deletes it`
        )
      })
    ])
    await atlas.step('main', {
      inputs: atlas.inputs('api-key', { operation: 'delete-user', username }),
      clock
    })
    expect(emulator.getUser(emulator.groupId, '$external', username)).toBeUndefined()
  })

  it('a project without clusters: nothing to wait for, ready-seconds 0', async () => {
    const { emulator } = atlas
    const { main } = await step({ 'group-id': emulator.otherGroupId })
    expect(main.errors).toEqual([])
    expect(main.log).toContain('has no clusters: nothing to wait for')
    expect(main.outputs['ready-seconds']).toBe('0')
    expect(main.summary).toContain('no cluster in the project')
    expect(statusPolls()).toEqual([])
  })

  it('wait-until-ready false: no cluster list, no status, no ready-seconds', async () => {
    const { main } = await step({ 'wait-until-ready': 'false' })
    expect(main.errors).toEqual([])
    expect(atlasRequests(atlas.emulator).filter(r => /[cC]lusters/.test(r.path))).toEqual([])
    expect(main.outputs['ready-seconds']).toBeUndefined()
  })
})

describe('wait-until-ready against a slow or crowded Atlas', () => {
  // Two seconds of real waiting: an emulator of its own, so that it runs alongside the other tests.
  it.concurrent(
    'a status answer that never comes ends at ready-timeout-seconds, not at timeout-seconds',
    async () => {
      const own = await startAtlas()
      try {
        // The status poll's answer takes 20 s: the step has 60, the wait 2.
        own.emulator.fault({ path: /\/status$/, kind: 'delay', delayMs: 20_000 })
        const started = Date.now()
        const { main } = await own.job({
          inputs: own.inputs('api-key', {
            operation: 'create-ephemeral-user',
            roles: 'readWrite@app',
            scopes: SEEDED_CLUSTER,
            'ready-timeout-seconds': '2'
          }),
          clock: new FakeClock()
        })
        expect(main.errors).toEqual([
          expect.objectContaining({
            title: 'Ephemeral user not ready',
            message: expect.stringContaining(`${SEEDED_CLUSTER} still reports changeStatus PENDING`)
          })
        ])
        // Far less than the 20 s answer, which the step's own 60 s would have waited for.
        expect(Date.now() - started).toBeLessThan(15_000)
      } finally {
        await own.close()
      }
    }
  )

  it('names 20 of 25 pending clusters and how many more, not all of them', async () => {
    const ownClock = new FakeClock({ stopped: true })
    const own = await startAtlas({ now: () => new Date(ownClock.now()) })
    try {
      const { emulator } = own
      const names = Array.from({ length: 25 }, (_, i) => `pending-${String(i).padStart(2, '0')}`)
      for (const name of names)
        emulator.addCluster(emulator.otherGroupId, name, { neverApplies: true })
      const { main } = await own.job({
        inputs: own.inputs('api-key', {
          operation: 'create-ephemeral-user',
          'group-id': emulator.otherGroupId,
          roles: 'readWrite@app',
          'ready-timeout-seconds': '3'
        }),
        clock: ownClock
      })
      expect(main.errors).toEqual([
        {
          level: 'error',
          title: 'Ephemeral user not ready',
          message: expect.stringContaining(
            `${names.slice(0, 20).join(', ')} … and 5 more still report changeStatus PENDING`
          )
        }
      ])
      expect(main.errors[0]!.message).not.toContain(names[20])
    } finally {
      await own.close()
    }
  })
})
