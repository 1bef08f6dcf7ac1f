/**
 * Lists are bounded and de-duplicated, prune counts only what it deleted and reads only strict
 * dates, and repeated roles or scopes are refused before any request.
 */
import {
  singleTryStep,
  startAtlasForFile,
  visible,
  type InProcessAtlas,
  type StepOptions
} from '../support/inprocess.js'

let atlas: InProcessAtlas
startAtlasForFile(started => (atlas = started))

const mainStep = (inputs: Record<string, string>, options: StepOptions = {}) =>
  singleTryStep(atlas, inputs, options)

const usersPath = /\/groups\/[0-9a-f]{24}\/databaseUsers$/
const ours = (username: string, expiresAt = '2020-01-01T00:00:00.000Z') => ({
  username,
  databaseName: '$external',
  x509Type: 'MANAGED' as const,
  labels: [
    { key: 'managed-by', value: 'atlas-x509-action' },
    { key: 'expires-at', value: expiresAt }
  ]
})
const listUsersAnswers = (page: unknown, times = 1) =>
  atlas.emulator.fault({
    method: 'GET',
    path: usersPath,
    kind: 'body',
    body: JSON.stringify(page),
    times
  })
const requests = (method: string, path: RegExp) =>
  atlas.emulator.requests.filter(
    // Answered requests only: the Digest challenge round trip is not a page.
    r => r.auth !== null && r.method === method && path.test(r.path.split('?')[0]!)
  )
const prune = (extra: Record<string, string> = {}) =>
  mainStep({ operation: 'prune-ephemeral-users', ...extra })

describe('pagination is bounded', () => {
  it('stops at a page that repeats the previous one, deletes each user once, counts only its deletions', async () => {
    atlas.emulator.addUser(atlas.emulator.groupId, ours('gha-listed-twice'))
    listUsersAnswers(
      {
        results: [ours('gha-listed-twice'), ours('gha-listed-twice'), ours('gha-already-gone')],
        totalCount: 1000,
        links: [{ rel: 'next', href: 'x' }]
      },
      Infinity
    )
    const result = await prune()
    expect(result.errors).toEqual([])
    expect(requests('GET', usersPath)).toHaveLength(2)
    const deletes = requests('DELETE', /\/databaseUsers\/%24external\//).map(r => r.path)
    expect(deletes.sort()).toEqual([
      expect.stringMatching(/\/gha-already-gone$/),
      expect.stringMatching(/\/gha-listed-twice$/)
    ])
    expect(result.outputs.pruned).toBe('["gha-listed-twice"]')
    expect(result.outputs.count).toBe('1')
    expect(result.info).toContain(
      'gha-already-gone was already gone (deleted by someone else); not counted.'
    )
  })

  it('stops at an empty page whatever totalCount says', async () => {
    listUsersAnswers({ results: [], totalCount: 50, links: [{ rel: 'next', href: 'x' }] }, Infinity)
    const result = await prune()
    expect(result.errors).toEqual([])
    expect(requests('GET', usersPath)).toHaveLength(1)
    expect(result.outputs.count).toBe('0')
  })

  it('refuses a list longer than 10,000 items instead of cutting it short', async () => {
    for (let page = 0; page < 21; page++) {
      listUsersAnswers({
        results: Array.from({ length: 500 }, (_, i) => ({
          username: `u${page * 500 + i}`,
          databaseName: 'admin'
        })),
        totalCount: 20_000
      })
    }
    const result = await prune()
    expect(result.errors).toEqual([
      {
        level: 'error',
        title: 'Unexpected answer from Atlas',
        message: expect.stringMatching(/more than 10000 items/)
      }
    ])
    expect(requests('GET', usersPath)).toHaveLength(21)
    expect(requests('DELETE', /./)).toEqual([])
  })

  it('refuses a page whose results is not an array instead of reading it as empty', async () => {
    listUsersAnswers({ results: { 0: ours('gha-x') }, totalCount: 1 })
    const result = await prune()
    expect(result.errors).toEqual([
      {
        level: 'error',
        title: 'Unexpected answer from Atlas',
        message: expect.stringMatching(/results array/)
      }
    ])
  })

  it('de-duplicates certificates by _id', async () => {
    const record = {
      _id: 7,
      subject: 'CN=ci-user',
      createdAt: '2026-01-01T00:00:00Z',
      notAfter: '2099-01-01T00:00:00Z'
    }
    atlas.emulator.fault({
      method: 'GET',
      path: /\/certs$/,
      kind: 'body',
      body: JSON.stringify({ results: [record, record, { ...record, _id: 8 }], totalCount: 3 })
    })
    const result = await mainStep({
      operation: 'list-certificates',
      username: 'ci-user'
    })
    expect(result.outputs.count).toBe('2')
  })
})

describe('prune reads only strict ISO 8601 UTC expires-at labels', () => {
  it('leaves users with other labels alone and says so; deletes the one that has expired', async () => {
    const odd = [
      '1',
      'Jan 1 1970',
      '2020-02-30T00:00:00Z',
      '2020-01-01',
      '2020-01-01T00:00:00+00:00'
    ]
    const users = [
      ...odd.map((value, i) => ours(`gha-odd-${i}`, value)),
      ours('gha-expired', '2020-01-01T00:00:00Z')
    ]
    for (const user of users) atlas.emulator.addUser(atlas.emulator.groupId, user)
    const result = await prune()
    expect(result.errors).toEqual([])
    expect(result.outputs.pruned).toBe('["gha-expired"]')
    expect(result.warnings).toEqual([
      {
        level: 'warning',
        title: 'Ephemeral users left alone',
        message: expect.stringContaining(odd.map((_, i) => `gha-odd-${i}`).join(', '))
      }
    ])
    for (let i = 0; i < odd.length; i++)
      expect(
        atlas.emulator.getUser(atlas.emulator.groupId, '$external', `gha-odd-${i}`)
      ).toBeDefined()
    expect(visible(result)).not.toContain('Jan 1 1970')
  })
})

describe('roles and scopes', () => {
  it.each([
    ['roles', { roles: 'read@app, readWrite@app, read@app' }, /"read@app" is given more than once/],
    ['roles', { roles: 'read@reports.events\nread@reports.events' }, /more than once/],
    [
      'scopes',
      { roles: 'read@app', scopes: 'Cluster0, Cluster1\nCluster0' },
      /"Cluster0" is given more than once/
    ]
  ])('refuses duplicate %s before any request', async (input, extra, message) => {
    const result = await mainStep({ operation: 'create-ephemeral-user', ...extra })
    expect(result.errors).toEqual([
      { level: 'error', title: `Invalid input: ${input}`, message: expect.stringMatching(message) }
    ])
    expect(atlas.emulator.requests).toEqual([])
  })
})
