/**
 * Through dist/, as the runner runs it: a later step of the same job appends to $GITHUB_ENV
 * (`laterEnv`: any variable, and STATE_* keys the main step did not save), and the post step
 * still acts only on what its own main step recorded (with ../scenarios/post-trust.ts, which
 * the in-process tier runs too). Every step passes the leak scan.
 */
import { existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { atlasForFile, atlasRequests } from '../support/atlas.js'
import { postTrustScenarios } from '../scenarios/post-trust.js'

const atlas = atlasForFile()
/** Another server on loopback, where a later step would like the post step to go. */
const elsewhere = atlasForFile()

const RUN_ENV = {
  GITHUB_REPOSITORY: 'octo-org/app',
  GITHUB_RUN_ID: '6262',
  GITHUB_RUN_ATTEMPT: '1',
  GITHUB_JOB: 'trust'
}

postTrustScenarios(atlas, RUN_ENV)

describe('the post step through dist/ acts on its main step’s record alone', () => {
  it('(a) MONGODB_ATLAS_BASE_URL pointed elsewhere: nothing goes there; user deleted and token revoked at the main step’s origin', async () => {
    const { emulator } = atlas
    const inputs = atlas.inputs('service-account', {
      operation: 'create-ephemeral-user',
      roles: 'read@app'
    })
    delete inputs['base-url']
    const { main, post } = await atlas.job({
      inputs,
      env: { ...RUN_ENV, MONGODB_ATLAS_BASE_URL: emulator.url },
      laterEnv: { MONGODB_ATLAS_BASE_URL: elsewhere.emulator.url }
    })
    expect(main.exitCode).toBe(0)
    expect(post.exitCode).toBe(0)
    expect(post.annotations).toEqual([])
    expect(atlasRequests(elsewhere.emulator)).toEqual([])
    expect(emulator.getUser(emulator.groupId, '$external', main.outputs.username!)).toBeUndefined()
    const handed = JSON.parse(main.state['atlas-access-token']!) as { value: string }
    const revokes = atlasRequests(emulator).filter(r => r.path === '/api/oauth/revoke')
    expect(revokes.map(r => new URLSearchParams(r.body).get('token'))).toEqual([handed.value])
    expect(post.stdout).toContain("Revoked the service account's access token (1).")
  })

  it('(b) STATE_certificate-file injected, pointing at another file, removes nothing', async () => {
    const victim = join(atlas.tempDir('victim-'), 'keep.pem')
    writeFileSync(victim, 'not the action’s')
    const { main, post } = await atlas.job({
      inputs: atlas.inputs('api-key', { username: 'ci-user', cleanup: 'false' }),
      laterEnv: { 'STATE_certificate-file': victim }
    })
    expect(main.exitCode).toBe(0)
    expect(post.exitCode).toBe(0)
    expect(post.annotations).toEqual([])
    expect(existsSync(victim)).toBe(true)
    // cleanup false: the main step's own file stays too.
    expect(existsSync(main.outputs['certificate-file']!)).toBe(true)
  })
})
