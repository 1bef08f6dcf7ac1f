/**
 * The post step acts on its own main step's record alone. A later step of the same job can append
 * to $GITHUB_ENV: any environment variable, and any STATE_* key its main step did not save (the
 * harness's `laterEnv` models that). None of it may move the post step's requests, credentials,
 * user or file.
 */
import { expect } from '@jest/globals'
import { existsSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { OPERATION_NAMES } from '../../src/operations/registry.js'
import { nodeFileSystem, type FileSystem } from '../../src/certificate/file.js'
import {
  atlasRequests,
  sessionState,
  startAtlas,
  atlasForFile,
  type InProcessAtlas
} from '../support/inprocess.js'
import { postTrustScenarios } from '../scenarios/post-trust.js'

const atlas = atlasForFile()

/** Another server on loopback: where a later step would like the post step to go. */
let elsewhere: InProcessAtlas
beforeAll(async () => {
  elsewhere = await startAtlas()
})
afterAll(() => elsewhere.close())
beforeEach(() => elsewhere.emulator.clearRequests())

const RUN_ENV = {
  GITHUB_REPOSITORY: 'octo-org/app',
  GITHUB_RUN_ID: '5151',
  GITHUB_RUN_ATTEMPT: '1',
  GITHUB_JOB: 'trust'
}
// The run's identity is read from @actions/github's context, which reads process.env.
Object.assign(process.env, RUN_ENV)

postTrustScenarios(atlas, RUN_ENV)

const POST_STEP_KEYS = [
  'atlas-origin',
  'group-id',
  'credential',
  'certificate-file',
  'ephemeral-user',
  'atlas-access-token'
]

/** The emulator's inputs without base-url and group-id: those come from the job's env instead. */
function inputsWithEnvOrigin(kind: 'api-key' | 'service-account', extra = {}) {
  const inputs = atlas.inputs(kind, extra)
  delete inputs['base-url']
  delete inputs['group-id']
  return inputs
}
const originEnv = () => ({
  ...RUN_ENV,
  MONGODB_ATLAS_BASE_URL: atlas.emulator.url,
  MONGODB_ATLAS_PROJECT_ID: atlas.emulator.groupId
})

describe('the main step saves every key the post step reads, empty, before anything else', () => {
  it.each([...OPERATION_NAMES, 'no-such-operation'])('%s, even on an input error', async name => {
    const main = await atlas.step('main', {
      inputs: atlas.inputs('api-key', { operation: name, 'timeout-seconds': 'soon' })
    })
    expect(main.errors).toHaveLength(1)
    expect(main.events.slice(0, POST_STEP_KEYS.length)).toEqual(
      POST_STEP_KEYS.map(name => ({ kind: 'saveState', name, value: '' }))
    )
    expect(atlasRequests(atlas.emulator)).toEqual([])
  })

  it('then records the origin, the project and the credential (kind and id, no secret)', async () => {
    const main = await atlas.step('main', {
      inputs: atlas.inputs('service-account', { operation: 'list-certificates' })
    })
    expect(main.exitCode).toBe(0)
    expect(main.state).toMatchObject(sessionState(atlas.emulator, 'service-account'))
    expect(JSON.stringify(main.state)).not.toContain(atlas.emulator.credentials.clientSecret)
  })
})

describe('a later step changes the environment', () => {
  it('MONGODB_ATLAS_BASE_URL and MONGODB_ATLAS_PROJECT_ID elsewhere: nothing goes there; user deleted and token revoked at the main step’s origin, in its project', async () => {
    const { emulator } = atlas
    const activeBefore = emulator.activeTokens()
    const { main, post } = await atlas.job({
      inputs: inputsWithEnvOrigin('service-account', {
        operation: 'create-ephemeral-user',
        roles: 'read@app'
      }),
      env: originEnv(),
      laterEnv: {
        MONGODB_ATLAS_BASE_URL: elsewhere.emulator.url,
        MONGODB_ATLAS_PROJECT_ID: emulator.otherGroupId
      }
    })
    expect(main.exitCode).toBe(0)
    expect(post.exitCode).toBe(0)
    expect(atlasRequests(elsewhere.emulator)).toEqual([])
    const touched = atlasRequests(emulator).filter(r => r.path.includes('/groups/'))
    expect(touched.every(r => r.path.includes(emulator.groupId))).toBe(true)
    expect(emulator.getUser(emulator.groupId, '$external', main.outputs.username!)).toBeUndefined()
    expect(emulator.activeTokens()).toBe(activeBefore)
    expect(post.info).toContain("Revoked the service account's access token (1).")
  })

  it.each([
    ['another client id', { MONGODB_ATLAS_CLIENT_ID: 'mdb_sa_id_0000000000000000000000ff' }],
    [
      'an API key instead',
      {
        MONGODB_ATLAS_CLIENT_ID: '',
        MONGODB_ATLAS_CLIENT_SECRET: '',
        MONGODB_ATLAS_PUBLIC_API_KEY: 'otherpub',
        MONGODB_ATLAS_PRIVATE_API_KEY: 'other-private-key-value'
      }
    ]
  ])(
    'credentials swapped in through the environment (%s): refused with a warning, nothing sent',
    async (_, swapped) => {
      const { emulator } = atlas
      const activeBefore = emulator.activeTokens()
      const { main, post } = await atlas.job({
        inputs: {
          'base-url': emulator.url,
          'group-id': emulator.groupId,
          operation: 'list-certificates'
        },
        env: {
          MONGODB_ATLAS_CLIENT_ID: emulator.credentials.clientId,
          MONGODB_ATLAS_CLIENT_SECRET: emulator.credentials.clientSecret
        },
        laterEnv: swapped
      })
      expect(main.exitCode).toBe(0)
      emulator.clearRequests()
      expect(post.exitCode).toBe(0)
      expect(post.warnings).toEqual([
        {
          level: 'warning',
          title: 'Access token not revoked',
          message: expect.stringMatching(
            /Atlas credentials changed after the main step.*later step/
          )
        }
      ])
      expect(atlasRequests(emulator)).toEqual([])
      // The main step's token was not revoked: it expires on its own within the hour.
      expect(emulator.activeTokens()).toBe(activeBefore + 1)
    }
  )

  it('an ephemeral user with swapped credentials is not deleted: one error naming the user', async () => {
    const { emulator } = atlas
    const { main, post } = await atlas.job({
      inputs: {
        'base-url': emulator.url,
        'group-id': emulator.groupId,
        operation: 'create-ephemeral-user',
        roles: 'read@app'
      },
      env: {
        ...RUN_ENV,
        MONGODB_ATLAS_PUBLIC_API_KEY: emulator.credentials.publicKey,
        MONGODB_ATLAS_PRIVATE_API_KEY: emulator.credentials.privateKey
      },
      laterEnv: { MONGODB_ATLAS_PUBLIC_API_KEY: 'someone-elses-key' }
    })
    const username = main.outputs.username!
    expect(post.errors).toEqual([
      expect.objectContaining({
        title: `Ephemeral user not deleted: ${username}`,
        message: expect.stringMatching(/public key found now is not the one the main step used/)
      })
    ])
    expect(emulator.getUser(emulator.groupId, '$external', username)).toBeDefined()
    await atlas.step('main', {
      inputs: atlas.inputs('api-key', { operation: 'delete-user', username })
    })
  })
})

describe('a later step injects STATE_* lines', () => {
  it('STATE_certificate-file (either shape) after list-certificates removes nothing', async () => {
    const victim = join(atlas.tempDir('victim-'), 'keep.pem')
    writeFileSync(victim, 'not the action’s')
    for (const injected of [victim, JSON.stringify({ path: victim, dev: '0', ino: '0' })]) {
      const { post } = await atlas.job({
        inputs: atlas.inputs('api-key', { operation: 'list-certificates' }),
        laterEnv: { 'STATE_certificate-file': injected }
      })
      expect(post.annotations).toEqual([])
      expect(existsSync(victim)).toBe(true)
    }
  })

  it('STATE_atlas-origin and a token after an input error: nothing is sent anywhere', async () => {
    const { main, post } = await atlas.job({
      inputs: atlas.inputs('service-account', { months: '99' }),
      laterEnv: {
        'STATE_atlas-origin': elsewhere.emulator.url,
        'STATE_atlas-access-token': JSON.stringify({ value: 'x'.repeat(20), expiresAt: 1 })
      }
    })
    expect(main.errors).toHaveLength(1)
    expect(post.annotations).toEqual([])
    expect(atlasRequests(elsewhere.emulator)).toEqual([])
    expect(atlasRequests(atlas.emulator)).toEqual([])
  })
})

describe('the ephemeral user is read and its labels checked before every delete', () => {
  it('a confirmed user already gone: one look, no delete', async () => {
    const inputs = atlas.inputs('api-key', {
      operation: 'create-ephemeral-user',
      roles: 'read@app'
    })
    const main = await atlas.step('main', { inputs, env: RUN_ENV })
    const username = main.outputs.username!
    await atlas.step('main', {
      inputs: atlas.inputs('api-key', { operation: 'delete-user', username })
    })
    atlas.emulator.clearRequests()
    const post = await atlas.step('post', { inputs, env: RUN_ENV, state: main.state })
    expect(post.exitCode).toBe(0)
    expect(post.info).toContain(`The ephemeral user ${username} was already gone.`)
    expect(post.clock.sleeps).toEqual([])
    expect(atlasRequests(atlas.emulator).map(r => r.method)).toEqual(['GET', 'GET'])
  })
})

describe('the certificate file is removed only if it is the one the main step created', () => {
  async function mainWithFile() {
    const inputs = atlas.inputs('api-key', { username: 'ci-user' })
    const runnerTemp = atlas.tempDir('trust-runner-temp-')
    const main = await atlas.step('main', { inputs, runnerTemp })
    expect(main.errors).toEqual([])
    const file = main.outputs['certificate-file']!
    const post = () => atlas.step('post', { inputs, runnerTemp, state: main.state })
    return { file, post }
  }

  it('replaced by another file under the same name: left, with a warning', async () => {
    const { file, post } = await mainWithFile()
    // Renamed over it (an unlinked inode may be reused at once, so the new file is made first).
    writeFileSync(`${file}.new`, 'another file')
    renameSync(`${file}.new`, file)
    const result = await post()
    expect(result.warnings).toEqual([
      expect.objectContaining({
        title: 'Certificate file not removed',
        message: expect.stringMatching(/another file .*device or inode differ/)
      })
    ])
    expect(existsSync(file)).toBe(true)
  })

  it('replaced by a symbolic link: neither the link nor its target is removed', async () => {
    const { file, post } = await mainWithFile()
    const target = join(atlas.tempDir('trust-target-'), 'target.pem')
    writeFileSync(target, 'target')
    rmSync(file)
    symlinkSync(target, file)
    const result = await post()
    expect(result.warnings).toEqual([
      expect.objectContaining({
        title: 'Certificate file not removed',
        message: expect.stringMatching(/symbolic link/)
      })
    ])
    expect(existsSync(file)).toBe(true)
    expect(existsSync(target)).toBe(true)
  })

  it('the very file: removed', async () => {
    const { file, post } = await mainWithFile()
    const result = await post()
    expect(result.info).toContain(`Removed the certificate file ${file}.`)
    expect(existsSync(file)).toBe(false)
  })
})

describe('the certificate folder is proven writable before anything is created', () => {
  it('create-ephemeral-user: a folder refusing new files ends the step before any request', async () => {
    const refusing: FileSystem = {
      ...nodeFileSystem,
      open: () =>
        Promise.reject(Object.assign(new Error('EROFS: read-only file system'), { code: 'EROFS' }))
    }
    const main = await atlas.step('main', {
      inputs: atlas.inputs('api-key', { operation: 'create-ephemeral-user', roles: 'read@app' }),
      env: RUN_ENV,
      fs: refusing
    })
    expect(main.errors).toEqual([
      {
        level: 'error',
        title: 'Invalid input: certificate-file',
        message: expect.stringMatching(/is not writable by the runner's user .*EROFS/)
      }
    ])
    expect(atlasRequests(atlas.emulator)).toEqual([])
  })
})
