/**
 * The step harness both tiers share: one result shape, options a tier cannot honour refused
 * rather than ignored, and the requests each step made recorded on its result.
 */
import { expect } from '@jest/globals'
import { runStep } from '../../scripts/lib/step.js'
import { startedForFile } from '../support/harness.js'
import { atlasForFile, FakeClock } from '../support/inprocess.js'

const atlas = atlasForFile()

it('the in-process tier refuses the options only dist/ honours', async () => {
  await expect(atlas.main('api-key', { username: 'ci-user' }, { timeoutMs: 1000 })).rejects.toThrow(
    'The in-process step harness cannot honour timeoutMs'
  )
  expect(atlas.emulator.requests).toEqual([])
})

it('the dist tier refuses the options only the in-process tier honours, before spawning', async () => {
  await expect(runStep('main', { clock: new FakeClock() })).rejects.toThrow(
    'The dist step harness cannot honour clock'
  )
})

it("a step's result carries the Atlas requests it made, and job() splits them by step", async () => {
  const { main, post } = await atlas.job({
    inputs: atlas.inputs('service-account', { username: 'ci-user' })
  })
  expect(main.requests.map(r => r.path.split('/').at(-1))).toEqual(['token', 'certs'])
  expect(post.requests.map(r => r.path)).toEqual(['/api/oauth/revoke'])
})

it('visible holds what the step showed, never what it masked', async () => {
  const main = await atlas.main('api-key', { username: 'ci-user' })
  expect(main.masks.length).toBeGreaterThan(0)
  expect(main.visible).toContain(main.outputs['serial-number'])
  for (const mask of main.masks) expect(main.visible).not.toContain(mask)
})

describe('a handle started for the file', () => {
  const started: string[] = []
  const handle = startedForFile(
    () => Promise.resolve({ name: 'started', mark: () => started.push('mark') }),
    () => Promise.resolve()
  )

  it('forwards to what beforeAll started, methods bound', () => {
    const { mark } = handle
    mark()
    expect(handle.name).toBe('started')
    expect(started).toEqual(['mark'])
  })
})
