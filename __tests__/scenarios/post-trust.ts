/**
 * The post step acts on its own main step's record alone, written once and run by both tiers
 * (in-process and dist/): a STATE_* line a later step appends to $GITHUB_ENV, or a user relabelled
 * after the main step, deletes nothing. Every step passes its tier's leak scan.
 */
import { expect } from '@jest/globals'
import { existsSync } from 'node:fs'
import { CREDENTIAL_KINDS, relabelAsAnotherStep } from '../support/emulator-fixtures.js'
import type { StepRunner } from '../support/harness.js'

/**
 * The post-trust scenarios, as `describe`s of the calling test file. `env` is the run's
 * environment (GITHUB_REPOSITORY, GITHUB_RUN_ID, …) that the ephemeral user's labels name.
 */
export function postTrustScenarios(atlas: StepRunner, env: Record<string, string>): void {
  describe('the post step acts on its main step’s record alone', () => {
    it.each(CREDENTIAL_KINDS)(
      'STATE_ephemeral-user injected after create-certificate (%s) deletes nothing',
      async kind => {
        const { emulator } = atlas
        emulator.addUser(emulator.groupId, { username: 'prod-app-user', databaseName: '$external' })
        const { main, post } = await atlas.job({
          inputs: atlas.inputs(kind, { username: 'ci-user' }),
          laterEnv: {
            'STATE_ephemeral-user': JSON.stringify({
              groupId: emulator.groupId,
              username: 'prod-app-user',
              confirmed: true
            })
          }
        })
        expect(main.exitCode).toBe(0)
        expect(post.exitCode).toBe(0)
        expect(emulator.getUser(emulator.groupId, '$external', 'prod-app-user')).toBeDefined()
        expect([...main.requests, ...post.requests].filter(r => r.method === 'DELETE')).toEqual([])
      }
    )

    it('a confirmed ephemeral user whose labels are not this step’s is left, with a warning', async () => {
      const { emulator } = atlas
      const inputs = atlas.inputs('api-key', {
        operation: 'create-ephemeral-user',
        roles: 'read@app'
      })
      const runnerTemp = atlas.tempDir('runner-temp-')
      const main = await atlas.step('main', { inputs, env, runnerTemp })
      expect(JSON.parse(main.state['ephemeral-user']!)).toMatchObject({ confirmed: true })
      const username = main.outputs.username!
      relabelAsAnotherStep(emulator, username)
      const post = await atlas.step('post', { inputs, env, runnerTemp, state: main.state })
      expect(post.exitCode).toBe(0)
      expect(post.warnings).toEqual([
        expect.objectContaining({
          title: 'Ephemeral user not deleted',
          message: expect.stringMatching(/not created by this step.*left untouched/)
        })
      ])
      expect(emulator.getUser(emulator.groupId, '$external', username)).toBeDefined()
      expect(post.requests.filter(r => r.method === 'DELETE')).toEqual([])
      expect(existsSync(main.outputs['certificate-file']!)).toBe(false)
      await atlas.main('api-key', { operation: 'delete-user', username })
    })
  })
}
