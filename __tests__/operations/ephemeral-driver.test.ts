/**
 * The credential as the next workflow step uses it: create-ephemeral-user against the emulator,
 * then the official MongoDB driver connects with the `connection-string` output (MONGODB-X509,
 * the emulator's CA as tlsCAFile) and runs ping. The emulator and the action share a fake clock,
 * so the 3 s apply delay passes while the action waits, not in real time.
 */
import { expect } from '@jest/globals'
import { copyFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { MongoServerError } from 'mongodb'
import { SEEDED_CLUSTER } from '../../emulator/index.js'
import { ping, pingError } from '../support/driver.js'
import { FakeClock, startAtlas, type InProcessAtlas as Atlas } from '../support/inprocess.js'

/**
 * A minute behind real time: TLS checks certificates against the real clock, and one issued on
 * the emulator's clock must not start in the real future once the waits move that clock on.
 */
const clock = new FakeClock()
clock.offsetMs = -60_000
let atlas: Atlas
let uri = ''
let caFile = ''

beforeAll(async () => {
  atlas = await startAtlas({ now: () => new Date(clock.now()), applyDelayMs: 3000 })
  const endpoint = await atlas.emulator.startMongod(atlas.emulator.groupId, SEEDED_CLUSTER)
  caFile = join(atlas.tempDir('mongod-ca-'), 'ca.pem')
  writeFileSync(caFile, endpoint.caPem)
  uri = `${endpoint.uri}&tlsCAFile=${encodeURIComponent(caFile)}`
})
afterAll(() => atlas.close())

const inputs = (extra: Record<string, string> = {}) =>
  atlas.inputs('service-account', {
    operation: 'create-ephemeral-user',
    roles: 'readWrite@app',
    scopes: SEEDED_CLUSTER,
    'connection-string': uri,
    ...extra
  })

const authenticationFailed = expect.objectContaining({ code: 18, codeName: 'AuthenticationFailed' })

describe('the issued credential with the official MongoDB driver', () => {
  it('logs in at once when the step ends; after the post step a copy of the certificate no longer does', async () => {
    const main = await atlas.step('main', { inputs: inputs(), clock })
    expect(main.errors).toEqual([])
    // The step waited: the first status read said PENDING (the 3 s delay runs from the create, so
    // the wait itself is a little shorter, by however long the certificate took).
    expect(Number(main.outputs['ready-seconds'])).toBeGreaterThan(0)
    expect(main.info.join('\n')).toMatch(/every cluster reports APPLIED after/)
    const connectionString = main.outputs['connection-string']!
    expect(connectionString).toContain(`tlsCAFile=${encodeURIComponent(caFile)}`)
    expect(connectionString).toContain('authMechanism=MONGODB-X509')
    expect(await ping(connectionString)).toEqual({ ok: 1 })

    // A copy of the key file outlives the post step, as a leaked one would.
    const copy = join(atlas.tempDir('leaked-'), 'copy.pem')
    copyFileSync(main.outputs['certificate-file']!, copy)
    const withCopy = connectionString.replace(
      /tlsCertificateKeyFile=[^&]*/,
      `tlsCertificateKeyFile=${encodeURIComponent(copy)}`
    )
    const post = await atlas.step('post', { inputs: inputs(), state: main.state, clock })
    expect(post.errors).toEqual([])
    // The delete, like the create, takes effect once the cluster applies it.
    await clock.sleep(3500)
    const error = await pingError(withCopy)
    expect(error).toBeInstanceOf(MongoServerError)
    expect(error).toEqual(authenticationFailed)
  })

  it('control: without the wait, the same connect fails with code 18 while the cluster is PENDING', async () => {
    await clock.sleep(5000)
    const main = await atlas.step('main', {
      inputs: inputs({ 'wait-until-ready': 'false' }),
      clock
    })
    expect(main.errors).toEqual([])
    expect(atlas.emulator.clusterChangeStatus(atlas.emulator.groupId, SEEDED_CLUSTER)).toBe(
      'PENDING'
    )
    const connectionString = main.outputs['connection-string']!
    const error = await pingError(connectionString)
    expect(error).toBeInstanceOf(MongoServerError)
    expect(error).toEqual(authenticationFailed)
    // Only the apply delay stood in the way.
    await clock.sleep(3500)
    expect(await ping(connectionString)).toEqual({ ok: 1 })
    const post = await atlas.step('post', { inputs: inputs(), state: main.state, clock })
    expect(post.errors).toEqual([])
  })
})
