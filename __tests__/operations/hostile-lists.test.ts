/**
 * Lists are bounded and de-duplicated, prune counts only what it deleted and reads only strict
 * dates, and repeated roles or scopes are refused before any request.
 */
import { expect } from '@jest/globals'
import { singleTryStep, atlasForFile, visible, type StepOptions } from '../support/inprocess.js'
import { PARALLEL_DELETES } from '../../src/operations/prune-ephemeral-users.js'

const atlas = atlasForFile()

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

describe('prune deletes only its own kind of user, at most prune-limit per run', () => {
  // A project of their own: the users left in the main project by the tests above stay out of it.
  const other = () => atlas.emulator.otherGroupId
  const pruneOther = (extra: Record<string, string> = {}) =>
    prune({ 'group-id': other(), ...extra })

  it('deletes labelled users of the x509Types it creates, and leaves other $external users and other databases alone whatever their labels', async () => {
    const expired = ours('gha-kind-managed')
    atlas.emulator.addUser(other(), expired)
    atlas.emulator.addUser(other(), {
      ...expired,
      username: 'CN=gha-kind-customer,OU=ci',
      x509Type: 'CUSTOMER'
    })
    atlas.emulator.addUser(other(), {
      ...expired,
      username: 'gha-kind-ldap',
      x509Type: 'NONE',
      ldapAuthType: 'USER'
    })
    atlas.emulator.addUser(other(), {
      ...expired,
      username: 'gha-kind-aws',
      x509Type: 'NONE',
      awsIAMType: 'USER'
    })
    atlas.emulator.addUser(other(), {
      ...expired,
      username: 'gha-kind-password',
      databaseName: 'admin',
      x509Type: 'NONE'
    })
    const result = await pruneOther()
    expect(result.errors).toEqual([])
    expect(JSON.parse(result.outputs.pruned!)).toEqual(
      expect.arrayContaining(['gha-kind-managed', 'CN=gha-kind-customer,OU=ci'])
    )
    expect(JSON.parse(result.outputs.pruned!)).toHaveLength(2)
    expect(requests('DELETE', /./).map(r => r.path)).toHaveLength(2)
    for (const name of ['gha-kind-ldap', 'gha-kind-aws'])
      expect(atlas.emulator.getUser(other(), '$external', name)).toBeDefined()
    expect(atlas.emulator.getUser(other(), 'admin', 'gha-kind-password')).toBeDefined()
    expect(result.warnings).toEqual([
      {
        level: 'warning',
        title: 'Users left alone',
        message: expect.stringMatching(
          /^3 user\(s\) labelled managed-by=atlas-x509-action are not \$external users of x509Type MANAGED or CUSTOMER.*gha-kind-ldap/
        )
      }
    ])
  })

  it('deletes the longest expired first, at most prune-limit, and reports the rest as left for next time', async () => {
    const names = ['gha-limit-a', 'gha-limit-b', 'gha-limit-c', 'gha-limit-d', 'gha-limit-e']
    // Expired on days 5, 4, 3, 2 and 1 of January: e first.
    names.forEach((name, i) =>
      atlas.emulator.addUser(other(), ours(name, `2020-01-0${5 - i}T00:00:00.000Z`))
    )
    const dry = await pruneOther({ 'prune-limit': '2', 'dry-run': 'true' })
    expect(dry.errors).toEqual([])
    expect(dry.outputs.pruned).toBe('["gha-limit-e","gha-limit-d"]')
    expect(dry.summaries[0]!.rows).toContainEqual([
      'Would be left for the next run',
      '3 expired user(s) beyond prune-limit (2)'
    ])
    expect(requests('DELETE', /./)).toEqual([])

    const run = await pruneOther({ 'prune-limit': '2' })
    expect(run.errors).toEqual([])
    expect(run.outputs).toMatchObject({ pruned: '["gha-limit-e","gha-limit-d"]', count: '2' })
    expect(requests('DELETE', /./)).toHaveLength(2)
    expect(run.info).toContain(
      '3 more expired user(s) are beyond prune-limit (2) and left for the next run: gha-limit-c, gha-limit-b, gha-limit-a.'
    )
    expect(run.summaries[0]!.rows).toContainEqual([
      'Left for the next run',
      '3 expired user(s) beyond prune-limit (2)'
    ])
    expect(atlas.emulator.getUser(other(), '$external', 'gha-limit-c')).toBeDefined()

    const next = await pruneOther()
    expect(next.outputs.pruned).toBe('["gha-limit-c","gha-limit-b","gha-limit-a"]')
  })

  it.each(['0', '-1', '1.5', 'abc', '10001'])(
    'prune-limit %s is refused before any request',
    async value => {
      const result = await pruneOther({ 'prune-limit': value })
      expect(result.errors).toEqual([
        {
          level: 'error',
          title: 'Invalid input: prune-limit',
          message: expect.stringContaining('expected a whole number from 1 to 10000')
        }
      ])
      expect(atlas.emulator.requests).toEqual([])
    }
  )

  it("Atlas's rate limit left after every retry: one Atlas error that says what is left, the other deletes not sent", async () => {
    const names = Array.from({ length: PARALLEL_DELETES + 4 }, (_, i) => `gha-throttled-${i}`)
    for (const name of names) atlas.emulator.addUser(other(), ours(name))
    atlas.emulator.fault({
      method: 'DELETE',
      path: /\/gha-throttled-/,
      kind: 'status',
      status: 429,
      errorCode: 'RATE_LIMITED',
      retryAfter: '',
      times: Infinity
    })
    try {
      const result = await pruneOther()
      expect(result.errors).toEqual([
        {
          level: 'error',
          title: 'Atlas RATE_LIMITED (HTTP 429)',
          message: expect.stringMatching(
            new RegExp(
              `Deleted 0 of ${names.length} expired user\\(s\\) before Atlas's rate limit stopped the run; \\d+ refused; \\d+ not tried are left for the next run\\.`
            )
          )
        }
      ])
      expect(requests('DELETE', /./).length).toBeLessThanOrEqual(PARALLEL_DELETES)
    } finally {
      atlas.emulator.clearFaults()
    }
  })

  it('a delete Atlas refuses: one titled error naming the user and what to do', async () => {
    atlas.emulator.addUser(other(), ours('gha-refused'))
    atlas.emulator.fault({
      method: 'DELETE',
      path: /\/gha-refused$/,
      kind: 'status',
      status: 403,
      errorCode: 'ATLAS_GENERAL_ERROR',
      detail: 'Forbidden.'
    })
    const result = await pruneOther()
    expect(result.errors).toEqual([
      {
        level: 'error',
        title: 'Ephemeral users not deleted',
        message: expect.stringMatching(
          /^Could not delete 1 of \d+ expired ephemeral user\(s\) due this run: gha-refused: Atlas ATLAS_GENERAL_ERROR \(HTTP 403\): Forbidden\..* run prune-ephemeral-users again\.$/
        )
      }
    ])
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
