/**
 * wait-until-ready through the committed bundle on Node 24, against an emulator whose clusters
 * apply a new user 2 s (real time) after it is created: past the first back-off, so the bundle
 * really sleeps and polls again, and a second past the 1 s ready-timeout of the last scenario. The polling in detail is tested in-process on the
 * fake clock (__tests__/operations/ephemeral-readiness.test.ts).
 */
import { expect } from '@jest/globals'
import { rmSync } from 'node:fs'
import { SEEDED_CLUSTER, SEEDED_FLEX_CLUSTER } from '../../emulator/index.js'
import { tempDir } from '../../scripts/lib/step.js'
import { atlasRequests, filesIn, startAtlas, type Atlas } from '../support/atlas.js'

const APPLY_DELAY_MS = 2000

/**
 * Each scenario waits seconds of real time, so each gets an emulator of its own and they run
 * at the same time.
 */
function scenario(name: string, body: (atlas: Atlas) => Promise<void>): void {
  it.concurrent(name, async () => {
    // The scenario's body holds the assertions: one that asserts nothing fails.
    expect.hasAssertions()
    const atlas = await startAtlas({ applyDelayMs: APPLY_DELAY_MS })
    try {
      await body(atlas)
    } finally {
      await atlas.close()
    }
  })
}

async function job(atlas: Atlas, extra: Record<string, string>) {
  const runnerTemp = tempDir('runner-temp-')
  try {
    const result = await atlas.job({
      inputs: atlas.inputs('service-account', {
        operation: 'create-ephemeral-user',
        roles: 'readWrite@app',
        ...extra
      }),
      runnerTemp
    })
    expect(filesIn(runnerTemp)).toEqual([])
    return result
  } finally {
    rmSync(runnerTemp, { recursive: true, force: true })
  }
}

const polled = (atlas: Atlas) =>
  new Set(
    atlasRequests(atlas.emulator)
      .filter(r => r.path.endsWith('/status'))
      .map(r => decodeURIComponent(r.path.split('/').at(-2)!))
  )

scenario(
  'scoped: the main step ends once the scoped cluster has applied the user, polling only it',
  async atlas => {
    const { emulator } = atlas
    // The first poll finds the user pending however late it goes out (on a busy machine, past
    // the apply delay): the bundle must sleep and poll again.
    emulator.setClusterApplies(emulator.groupId, SEEDED_CLUSTER, false)
    const stopWatching = emulator.onExchange(record => {
      if (record.path.endsWith('/status'))
        emulator.setClusterApplies(emulator.groupId, SEEDED_CLUSTER, true)
    })
    const { main, post } = await job(atlas, { scopes: SEEDED_CLUSTER }).finally(stopWatching)
    expect(main.exitCode).toBe(0)
    expect(main.errors).toEqual([])
    expect(main.durationMs).toBeGreaterThanOrEqual(APPLY_DELAY_MS)
    // At least the first back-off (1 s).
    expect(Number(main.outputs['ready-seconds'])).toBeGreaterThanOrEqual(1)
    expect(polled(atlas)).toEqual(new Set([SEEDED_CLUSTER]))
    expect(
      atlasRequests(atlas.emulator).some(r => /\/(clusters|flexClusters)\?/.test(r.path))
    ).toBe(false)
    expect(post.exitCode).toBe(0)
  }
)

scenario('no scopes: waits for every dedicated and Flex cluster of the project', async atlas => {
  const { main, post } = await job(atlas, {})
  expect(main.exitCode).toBe(0)
  expect(main.durationMs).toBeGreaterThanOrEqual(APPLY_DELAY_MS)
  expect(polled(atlas)).toEqual(new Set([SEEDED_CLUSTER, SEEDED_FLEX_CLUSTER]))
  expect(main.stdout).toContain(`every cluster reports APPLIED`)
  expect(post.exitCode).toBe(0)
})

scenario(
  'a cluster that never applies: one error at ready-timeout-seconds; the post step deletes the user',
  async atlas => {
    const { emulator } = atlas
    emulator.setClusterApplies(emulator.groupId, SEEDED_FLEX_CLUSTER, false)
    const { main, post } = await job(atlas, { 'ready-timeout-seconds': '1' })
    expect(main.exitCode).toBe(1)
    expect(main.errors).toEqual([
      {
        level: 'error',
        title: 'Ephemeral user not ready',
        // The cluster that never applies is named. The other applies 2 s after the create, so
        // it is still pending at the 1 s deadline as a rule; but a busy machine can put more than
        // a second between the create and the last poll, so it may or may not be named too.
        message: expect.stringMatching(
          new RegExp(
            `^After [\\d.]+ s \\(ready-timeout-seconds: 1\\), (${SEEDED_CLUSTER}, )?` +
              `${SEEDED_FLEX_CLUSTER} still reports? changeStatus PENDING`
          )
        )
      }
    ])
    // Loose for a busy machine: tells the 1 s ready-timeout from the default 300 s.
    expect(main.durationMs).toBeLessThan(15_000)
    expect(post.exitCode).toBe(0)
    expect(post.errors).toEqual([])
    expect(emulator.getUser(emulator.groupId, '$external', main.outputs.username!)).toBeUndefined()
  }
)
