import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { atlasRequests, startAtlas, type InProcessAtlas as Atlas } from '../support/inprocess.js'

let atlas: Atlas
let existing = ''
beforeAll(async () => {
  atlas = await startAtlas()
  existing = join(atlas.tempDir('exists-'), 'taken.pem')
  writeFileSync(existing, '')
})
afterAll(() => atlas.close())

/** Every input rule of README.md's tables: [case, inputs to set (null = unset), the input named]. */
const CASES: Array<[string, Record<string, string | null>, string]> = [
  ['unknown operation', { operation: 'rotate-everything' }, 'operation'],
  ['no group-id', { 'group-id': null }, 'group-id'],
  ['malformed group-id', { 'group-id': '32b6e34b3d91647abb20e7b' }, 'group-id'],
  ['no credentials', { 'public-key': null, 'private-key': null }, 'credentials'],
  ['half a pair', { 'private-key': null }, 'credentials'],
  [
    'both pairs as inputs',
    { 'client-id': 'id', 'client-secret': 'mdb_sa_sk_secret-for-test' },
    'credentials'
  ],
  ['http base-url off loopback', { 'base-url': 'http://cloud.mongodb.com' }, 'base-url'],
  ['base-url with a path', { 'base-url': 'https://cloud.mongodb.com/api/atlas/v2' }, 'base-url'],
  ['timeout-seconds 0', { 'timeout-seconds': '0' }, 'timeout-seconds'],
  ['max-retries abc', { 'max-retries': 'abc' }, 'max-retries'],
  ['no username', { username: null }, 'username'],
  ['months 0', { months: '0' }, 'months'],
  ['months 25', { months: '25' }, 'months'],
  ['months 3.5', { months: '3.5' }, 'months'],
  ['months abc', { months: 'abc' }, 'months'],
  ['output-certificate maybe', { 'output-certificate': 'maybe' }, 'output-certificate'],
  ['cleanup 1', { cleanup: '1' }, 'cleanup'],
  ['existing certificate-file', { 'certificate-file': '<existing>' }, 'certificate-file'],
  [
    'certificate-file in a missing folder',
    { 'certificate-file': '/nonexistent-folder/x.pem' },
    'certificate-file'
  ],
  [
    'connection-string with credentials',
    { 'connection-string': 'mongodb+srv://u:p@c.example.net' },
    'connection-string'
  ],
  [
    'connection-string not a MongoDB URI',
    { 'connection-string': 'https://c.example.net' },
    'connection-string'
  ]
]

describe('bad inputs', () => {
  it.each(CASES)('%s → "Invalid input: <name>", exit 1, no request', async (_, change, name) => {
    atlas.emulator.clearRequests()
    const inputs: Record<string, string> = atlas.inputs('api-key', { username: 'ci-user' })
    for (const [key, value] of Object.entries(change)) {
      if (value === null) delete inputs[key]
      else inputs[key] = value === '<existing>' ? existing : value
    }
    const main = await atlas.step('main', { inputs })
    expect(main.exitCode).toBe(1)
    expect(main.errors).toHaveLength(1)
    expect(main.errors[0]!.title).toBe(`Invalid input: ${name}`)
    expect(main.errors[0]!.message.length).toBeGreaterThan(20)
    expect(main.annotations).toHaveLength(1)
    expect(main.summary).toContain(`Invalid input: ${name}`)
    expect(atlasRequests(atlas.emulator)).toHaveLength(0)
  })

  it('masks the secret inputs before anything else is printed', async () => {
    const main = await atlas.step('main', {
      inputs: atlas.inputs('api-key', { username: 'ci-user', months: '99' })
    })
    // Only the post step's record, saved empty, comes first: it prints nothing.
    const firstShown = main.events.find(e => !(e.kind === 'saveState' && e.value === ''))
    expect(firstShown).toEqual({
      kind: 'setSecret',
      value: atlas.emulator.credentials.privateKey
    })
    expect(main.errors[0]!.title).toBe('Invalid input: months')
  })

  it('masks credentials taken from the environment too', async () => {
    const main = await atlas.step('main', {
      inputs: { 'base-url': atlas.emulator.url, username: 'ci-user', months: '0' },
      env: {
        MONGODB_ATLAS_PROJECT_ID: atlas.emulator.groupId,
        MONGODB_ATLAS_CLIENT_ID: atlas.emulator.credentials.clientId,
        MONGODB_ATLAS_CLIENT_SECRET: atlas.emulator.credentials.clientSecret
      }
    })
    expect(main.masks).toContain(atlas.emulator.credentials.clientSecret)
    expect(main.errors[0]!.title).toBe('Invalid input: months')
  })
})
