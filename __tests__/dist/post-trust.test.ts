/**
 * Through dist/, as the runner runs it: a later step of the same job appends to $GITHUB_ENV
 * (`laterEnv`: any variable, and STATE_* keys the main step did not save), and the post step
 * still acts only on what its own main step recorded. Every step passes the leak scan.
 */
import { existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { atlasRequests, relabelAsAnotherStep, startAtlas, type Atlas } from '../support/atlas.js'
import { tempDir } from '../../scripts/lib/step.js'

let atlas: Atlas
/** Another server on loopback, where a later step would like the post step to go. */
let elsewhere: Atlas
beforeAll(async () => {
  ;[atlas, elsewhere] = await Promise.all([startAtlas(), startAtlas()])
})
afterAll(() => Promise.all([atlas.close(), elsewhere.close()]))
beforeEach(() => {
  for (const a of [atlas, elsewhere]) {
    a.emulator.clearRequests()
    a.emulator.clearFaults()
  }
})

const RUN_ENV = {
  GITHUB_REPOSITORY: 'octo-org/app',
  GITHUB_RUN_ID: '6262',
  GITHUB_RUN_ATTEMPT: '1',
  GITHUB_JOB: 'trust'
}

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

  it('(b) STATE_ephemeral-user injected after create-certificate deletes nothing', async () => {
    const { emulator } = atlas
    emulator.addUser(emulator.groupId, { username: 'prod-app-user', databaseName: '$external' })
    const { main, post } = await atlas.job({
      inputs: atlas.inputs('api-key', { username: 'ci-user' }),
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
    expect(atlasRequests(emulator).filter(r => r.method === 'DELETE')).toEqual([])
  })

  it('(c) an ephemeral user whose labels are not this step’s is not deleted, even with confirmed state', async () => {
    const { emulator } = atlas
    const inputs = atlas.inputs('api-key', {
      operation: 'create-ephemeral-user',
      roles: 'read@app'
    })
    const runnerTemp = tempDir('runner-temp-')
    const main = await atlas.step('main', { inputs, env: RUN_ENV, runnerTemp })
    expect(JSON.parse(main.state['ephemeral-user']!)).toMatchObject({ confirmed: true })
    const username = main.outputs.username!
    relabelAsAnotherStep(emulator, username)
    const post = await atlas.step('post', { inputs, env: RUN_ENV, runnerTemp, state: main.state })
    expect(post.exitCode).toBe(0)
    expect(post.warnings).toEqual([
      expect.objectContaining({ title: 'Ephemeral user not deleted' })
    ])
    expect(emulator.getUser(emulator.groupId, '$external', username)).toBeDefined()
    expect(atlasRequests(emulator).filter(r => r.method === 'DELETE')).toEqual([])
    expect(existsSync(main.outputs['certificate-file']!)).toBe(false)
    await atlas.step('main', {
      inputs: atlas.inputs('api-key', { operation: 'delete-user', username })
    })
  })

  it('(d) STATE_certificate-file injected, pointing at another file, removes nothing', async () => {
    const victim = join(tempDir('victim-'), 'keep.pem')
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
