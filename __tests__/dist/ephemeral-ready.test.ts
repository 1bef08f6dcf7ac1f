/**
 * wait-until-ready through the committed bundle on Node 24, against an emulator whose clusters
 * apply a new user 3 s (real time) after it is created. The polling in detail is tested
 * in-process (__tests__/operations/ephemeral-readiness.test.ts).
 */
import { expect } from '@jest/globals'
import { rmSync } from 'node:fs'
import { SEEDED_CLUSTER, SEEDED_FLEX_CLUSTER } from '../../emulator/index.js'
import { tempDir } from '../../scripts/lib/step.js'
import { atlasRequests, filesIn, startAtlas, type Atlas } from '../support/atlas.js'

const APPLY_DELAY_MS = 3000

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
    const { main, post } = await job(atlas, { scopes: SEEDED_CLUSTER })
    expect(main.exitCode).toBe(0)
    expect(main.errors).toEqual([])
    expect(main.durationMs).toBeGreaterThanOrEqual(APPLY_DELAY_MS)
    expect(Number(main.outputs['ready-seconds'])).toBeGreaterThanOrEqual(2.5)
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
  'a cluster that never applies: one error within ready-timeout-seconds plus a little; the post step deletes the user',
  async atlas => {
    const { emulator } = atlas
    emulator.setClusterApplies(emulator.groupId, SEEDED_FLEX_CLUSTER, false)
    const { main, post } = await job(atlas, { 'ready-timeout-seconds': '2' })
    expect(main.exitCode).toBe(1)
    expect(main.errors).toEqual([
      {
        level: 'error',
        title: 'Ephemeral user not ready',
        // 2 s is less than the 3 s apply delay: both were still pending.
        message: expect.stringContaining(
          `${SEEDED_CLUSTER}, ${SEEDED_FLEX_CLUSTER} still report changeStatus PENDING`
        )
      }
    ])
    expect(main.durationMs).toBeLessThan(2000 + 3000)
    expect(post.exitCode).toBe(0)
    expect(post.errors).toEqual([])
    expect(emulator.getUser(emulator.groupId, '$external', main.outputs.username!)).toBeUndefined()
  }
)
