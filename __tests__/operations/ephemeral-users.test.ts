import { expect } from '@jest/globals'
import { existsSync } from 'node:fs'
import {
  atlasRequests,
  CREDENTIAL_KINDS,
  FakeClock,
  filesIn,
  sessionState,
  atlasForFile
} from '../support/inprocess.js'

const atlas = atlasForFile({ maxPageSize: 4 })

/** What the runner sets for a job `test` of run 4242, attempt 2, in octo-org/app. */
const RUN_ENV = {
  GITHUB_REPOSITORY: 'octo-org/app',
  GITHUB_RUN_ID: '4242',
  GITHUB_RUN_ATTEMPT: '2',
  GITHUB_JOB: 'test'
}
const GITHUB_RUN = 'octo-org/app/4242/2/test'

/** A create-ephemeral-user job with a service account and no retries, in this file's run. */
const singleTryEphemeralJob = () =>
  atlas.job({
    inputs: atlas.inputs('service-account', {
      operation: 'create-ephemeral-user',
      roles: 'read@app',
      'max-retries': '0'
    }),
    env: RUN_ENV
  })
// src/github-run.ts reads the run from @actions/github's context, which reads process.env and not
// the injected `env`; until it does, the run is also set where that context looks (this test file's
// process.env, which jest gives each test file apart).
Object.assign(process.env, RUN_ENV)
const ROLES = 'readWrite@app, read@reports.events'

const labels = (user: { labels: Array<{ key: string; value: string }> }) =>
  Object.fromEntries(user.labels.map(l => [l.key, l.value]))

describe.each(CREDENTIAL_KINDS)('create-ephemeral-user with %s credentials', kind => {
  it('creates a labelled MANAGED user and its certificate in 3 requests (no wait); the post step deletes both', async () => {
    const { emulator } = atlas
    const started = Date.now()
    const main = await atlas.step('main', {
      inputs: atlas.inputs(kind, {
        operation: 'create-ephemeral-user',
        roles: ROLES,
        scopes: 'Cluster0\nanalytics-1',
        'ephemeral-ttl-hours': '6',
        'wait-until-ready': 'false'
      }),
      env: RUN_ENV
    })
    expect(main.errors).toEqual([])
    expect(main.exitCode).toBe(0)
    const username = main.outputs.username!
    expect(username).toMatch(/^gha-4242-2-test-[a-z0-9]{10}$/)
    expect(main.outputs['ready-seconds']).toBeUndefined()
    expect(main.summary).toContain('not waited for (wait-until-ready: false)')

    const requests = atlasRequests(emulator)
    expect(
      requests.map(r => `${r.method} ${r.path.replace(emulator.groupId, '{g}')} ${r.status}`)
    ).toEqual([
      kind === 'api-key'
        ? 'POST /api/atlas/v2/groups/{g}/databaseUsers 401'
        : 'POST /api/oauth/token 200',
      'POST /api/atlas/v2/groups/{g}/databaseUsers 201',
      `POST /api/atlas/v2/groups/{g}/databaseUsers/${username}/certs 201`
    ])
    const created = JSON.parse(requests[1]!.body) as {
      deleteAfterDate?: string
      description: string
    }
    expect(created).toMatchObject({
      databaseName: '$external',
      x509Type: 'MANAGED',
      groupId: emulator.groupId,
      username,
      roles: [
        { roleName: 'readWrite', databaseName: 'app' },
        { roleName: 'read', databaseName: 'reports', collectionName: 'events' }
      ],
      scopes: [
        { name: 'Cluster0', type: 'CLUSTER' },
        { name: 'analytics-1', type: 'CLUSTER' }
      ]
    })
    expect(created.deleteAfterDate).toBeUndefined()
    expect(created.description).toContain('octo-org/app')
    expect(created.description).toContain('4242')
    expect(created.description.length).toBeLessThanOrEqual(100)

    const user = emulator.getUser(emulator.groupId, '$external', username)!
    const userLabels = labels(user)
    expect(userLabels['managed-by']).toBe('atlas-x509-action')
    expect(userLabels['github-run']).toBe(GITHUB_RUN)
    const stepNonce = userLabels['step-nonce']!
    expect(stepNonce).toMatch(/^[0-9a-f]{24}$/)
    expect(Math.abs(Date.parse(userLabels['expires-at']!) - (started + 6 * 3600_000))).toBeLessThan(
      60_000
    )
    expect(main.outputs).toMatchObject({ subject: `CN=${username}` })
    expect(
      Math.abs(
        Date.parse(main.outputs['expires-at']!) -
          Date.parse(
            new Date(
              new Date(started).setUTCMonth(new Date(started).getUTCMonth() + 1)
            ).toISOString()
          )
      )
    ).toBeLessThan(60_000)
    expect(JSON.parse(main.state['ephemeral-user']!)).toEqual({
      groupId: emulator.groupId,
      username,
      githubRun: GITHUB_RUN,
      stepNonce,
      confirmed: true
    })

    emulator.clearRequests()
    const post = await atlas.step('post', {
      inputs: atlas.inputs(kind, { operation: 'create-ephemeral-user', roles: ROLES }),
      env: RUN_ENV,
      state: main.state
    })
    expect(post.exitCode).toBe(0)
    expect(post.errors).toEqual([])
    expect(emulator.getUser(emulator.groupId, '$external', username)).toBeUndefined()
    expect(existsSync(main.outputs['certificate-file']!)).toBe(false)
    const deletes = atlasRequests(emulator).filter(r => r.method === 'DELETE' && r.status !== 401)
    expect(deletes).toEqual([
      expect.objectContaining({
        path: `/api/atlas/v2/groups/${emulator.groupId}/databaseUsers/%24external/${username}`,
        status: 204
      })
    ])
    // It reads the user (and checks its labels) before deleting it: GET, then DELETE, then for a
    // service account the revocation; an API key's first request is the 401 digest challenge.
    const sent = atlasRequests(emulator).filter(r => r.status !== 401)
    expect(sent.map(r => r.method)).toEqual(
      kind === 'api-key' ? ['GET', 'DELETE'] : ['GET', 'DELETE', 'POST']
    )
    expect(atlasRequests(emulator)).toHaveLength(3)
  })
})

describe('ephemeral user failures', () => {
  it('the certificate call fails after the user was created: the post step still deletes the user', async () => {
    const { emulator } = atlas
    emulator.fault({
      path: /\/certs$/,
      kind: 'status',
      status: 500,
      errorCode: 'UNEXPECTED_ERROR',
      times: Infinity
    })
    const before = emulator.users(emulator.groupId).length
    const { main, post, runnerTemp } = await singleTryEphemeralJob()
    expect(main.exitCode).toBe(1)
    expect(main.errors).toEqual([
      expect.objectContaining({ title: 'Atlas UNEXPECTED_ERROR (HTTP 500)' })
    ])
    // The main step created the user, then the certificate call failed; the post step deleted it.
    const created = atlasRequests(emulator).find(
      r => r.method === 'POST' && r.path.endsWith('/databaseUsers')
    )
    expect(created?.status).toBe(201)
    expect(
      atlasRequests(emulator)
        .filter(r => r.method === 'DELETE')
        .map(r => r.status)
    ).toEqual([204])
    expect(post.exitCode).toBe(0)
    expect(emulator.users(emulator.groupId)).toHaveLength(before)
    expect(filesIn(runnerTemp)).toEqual([])
  })

  it('a retried create whose first answer was lost (409, this step’s nonce) is taken as ours', async () => {
    const { emulator } = atlas
    emulator.fault({ method: 'POST', path: /\/databaseUsers$/, kind: 'lose-answer' })
    const { main, post } = await atlas.job({
      inputs: atlas.inputs('service-account', {
        operation: 'create-ephemeral-user',
        roles: 'read@app',
        username: 'retried-user',
        'wait-until-ready': 'false'
      }),
      env: RUN_ENV
    })
    expect(main.exitCode).toBe(0)
    expect(main.log).toContain('already created by this step')
    expect(
      atlasRequests(emulator)
        .slice(0, 5)
        .map(r => `${r.method} ${r.status}`)
    ).toEqual(['POST 200', 'POST 0', 'POST 409', 'GET 200', 'POST 201'])
    expect(post.exitCode).toBe(0)
    expect(emulator.getUser(emulator.groupId, '$external', main.outputs.username!)).toBeUndefined()
  })

  it('a 409 for a user this step did not create is never taken over, nor deleted by the post step', async () => {
    const { emulator } = atlas
    // Names carry a random part, so only a fault makes Atlas answer 409 here.
    emulator.fault({
      method: 'POST',
      path: /\/databaseUsers$/,
      kind: 'status',
      status: 409,
      errorCode: 'USER_ALREADY_EXISTS'
    })
    const before = emulator.users(emulator.groupId).length
    const { main, post } = await atlas.job({
      inputs: atlas.inputs('api-key', {
        operation: 'create-ephemeral-user',
        roles: 'read@app',
        username: 'taken'
      }),
      env: RUN_ENV
    })
    expect(main.exitCode).toBe(1)
    expect(main.errors).toEqual([
      expect.objectContaining({
        title: 'Atlas USER_ALREADY_EXISTS (HTTP 409)',
        message: expect.stringMatching(/not created by this step.*left untouched/)
      })
    ])
    expect(main.outputs['certificate-file']).toBeUndefined()
    expect(post.exitCode).toBe(0)
    expect(emulator.users(emulator.groupId)).toHaveLength(before)
    expect(atlasRequests(emulator).filter(r => r.method === 'DELETE')).toHaveLength(0)
  })

  it('two steps with the same username in one run and job create two users, each with its own roles', async () => {
    const { emulator } = atlas
    const step = (roles: string) =>
      atlas.step('main', {
        inputs: atlas.inputs('api-key', {
          operation: 'create-ephemeral-user',
          username: 'app-tests',
          roles,
          'wait-until-ready': 'false'
        }),
        env: RUN_ENV
      })
    const reader = await step('read@app')
    const writer = await step('readWrite@app')
    expect([reader.exitCode, writer.exitCode]).toEqual([0, 0])
    const [readerName, writerName] = [reader.outputs.username!, writer.outputs.username!]
    expect(readerName).toMatch(/^app-tests-[a-z0-9]{10}$/)
    expect(writerName).toMatch(/^app-tests-[a-z0-9]{10}$/)
    expect(readerName).not.toBe(writerName)
    const user = (name: string) => emulator.getUser(emulator.groupId, '$external', name)!
    expect(user(readerName).roles).toEqual([{ roleName: 'read', databaseName: 'app' }])
    expect(user(writerName).roles).toEqual([{ roleName: 'readWrite', databaseName: 'app' }])
    expect(labels(user(readerName))['github-run']).toBe(labels(user(writerName))['github-run'])
    expect(labels(user(readerName))['step-nonce']).not.toBe(labels(user(writerName))['step-nonce'])
    // Each post step deletes its own user only.
    await atlas.step('post', { inputs: atlas.inputs('api-key'), state: reader.state, env: RUN_ENV })
    expect(emulator.getUser(emulator.groupId, '$external', readerName)).toBeUndefined()
    expect(user(writerName)).toBeDefined()
    await atlas.step('post', { inputs: atlas.inputs('api-key'), state: writer.state, env: RUN_ENV })
    expect(emulator.getUser(emulator.groupId, '$external', writerName)).toBeUndefined()
  })

  it('a post step that cannot delete the user fails with an error naming the user', async () => {
    const { emulator } = atlas
    const main = await atlas.step('main', {
      inputs: atlas.inputs('service-account', {
        operation: 'create-ephemeral-user',
        roles: 'read@app'
      }),
      env: RUN_ENV
    })
    const username = main.outputs.username!
    emulator.fault({
      method: 'DELETE',
      path: /databaseUsers/,
      kind: 'status',
      status: 403,
      errorCode: 'USER_UNAUTHORIZED',
      times: Infinity
    })
    const post = await atlas.step('post', {
      inputs: atlas.inputs('service-account', { 'max-retries': '0' }),
      state: main.state,
      env: RUN_ENV
    })
    expect(post.exitCode).toBe(1)
    expect(post.errors).toEqual([
      {
        level: 'error',
        title: `Ephemeral user not deleted: ${username}`,
        message: expect.stringMatching(/live credential/)
      }
    ])
    expect(existsSync(main.outputs['certificate-file']!)).toBe(false)
    emulator.clearFaults()
    await atlas.step('main', {
      inputs: atlas.inputs('api-key', { operation: 'delete-user', username })
    })
  })

  it.each([
    [
      'an unknown project',
      { 'group-id': 'cccccccccccccccccccccccc' },
      'Atlas GROUP_NOT_FOUND (HTTP 404)'
    ],
    ['a refused API key', { 'private-key': 'not-the-key' }, 'Atlas USER_UNAUTHORIZED (HTTP 401)']
  ])(
    'a create refused outright (%s): one error, and a quiet post step that sends nothing',
    async (_, extra, title) => {
      const main = await atlas.step('main', {
        inputs: atlas.inputs('api-key', {
          operation: 'create-ephemeral-user',
          roles: 'read@app',
          ...extra
        }),
        env: RUN_ENV
      })
      expect(main.errors).toEqual([expect.objectContaining({ title })])
      atlas.emulator.clearRequests()
      const post = await atlas.step('post', {
        inputs: atlas.inputs('api-key', extra),
        state: main.state,
        env: RUN_ENV
      })
      expect(post.exitCode).toBe(0)
      expect(post.annotations).toEqual([])
      expect(atlasRequests(atlas.emulator)).toHaveLength(0)
    }
  )

  it('a create still in flight when the step ended: the post step looks 3 times over 5 s, and deletes only a user with this step’s nonce', async () => {
    const { emulator } = atlas
    const state = (username: string, stepNonce = 'nonce-of-this-step') => ({
      ...sessionState(emulator, 'api-key'),
      'ephemeral-user': JSON.stringify({
        groupId: emulator.groupId,
        username,
        githubRun: GITHUB_RUN,
        stepNonce,
        confirmed: false
      })
    })
    const ours = (nonce: string) => [
      { key: 'managed-by', value: 'atlas-x509-action' },
      { key: 'github-run', value: GITHUB_RUN },
      { key: 'step-nonce', value: nonce }
    ]
    // Same run and job, another step's nonce: not this step's user.
    emulator.addUser(emulator.groupId, {
      username: 'other-step',
      databaseName: '$external',
      labels: ours('nonce-of-another-step')
    })
    const foreign = await atlas.step('post', {
      inputs: atlas.inputs('api-key'),
      state: state('other-step')
    })
    expect(foreign.exitCode).toBe(0)
    expect(foreign.log).toContain('left untouched')
    expect(emulator.getUser(emulator.groupId, '$external', 'other-step')).toBeDefined()

    emulator.clearRequests()
    const never = await atlas.step('post', {
      inputs: atlas.inputs('api-key'),
      state: state('never-created')
    })
    expect(never.exitCode).toBe(0)
    expect(never.log).toContain('never created')
    expect(never.clock.sleeps).toEqual([2000, 3000])
    expect(
      atlasRequests(emulator).filter(r => r.method === 'GET' && r.status === 404)
    ).toHaveLength(3)
    expect(atlasRequests(emulator).filter(r => r.method === 'DELETE')).toHaveLength(0)

    // The create lands while the post step looks: found on the second look, and deleted.
    const clock = new FakeClock()
    clock.sleep = (ms: number) => {
      clock.sleeps.push(ms)
      clock.offsetMs += ms
      emulator.addUser(emulator.groupId, {
        username: 'late-user',
        databaseName: '$external',
        labels: ours('nonce-of-this-step')
      })
      return Promise.resolve()
    }
    const late = await atlas.step('post', {
      inputs: atlas.inputs('api-key'),
      state: state('late-user'),
      clock
    })
    expect(late.exitCode).toBe(0)
    expect(clock.sleeps).toEqual([2000])
    expect(emulator.getUser(emulator.groupId, '$external', 'late-user')).toBeUndefined()
    await atlas.step('main', {
      inputs: atlas.inputs('api-key', { operation: 'delete-user', username: 'other-step' })
    })
  })

  it('the create reached Atlas but its answer was lost and not retried: the post step deletes the user', async () => {
    const { emulator } = atlas
    emulator.fault({ method: 'POST', path: /\/databaseUsers$/, kind: 'lose-answer' })
    const before = emulator.users(emulator.groupId).length
    const { main, post } = await singleTryEphemeralJob()
    expect(main.exitCode).toBe(1)
    expect(main.errors).toEqual([expect.objectContaining({ title: 'Atlas API unreachable' })])
    expect(JSON.parse(main.state['ephemeral-user']!)).toMatchObject({ confirmed: false })
    expect(emulator.users(emulator.groupId)).toHaveLength(before)
    expect(post.exitCode).toBe(0)
    expect(post.log).toContain('Deleted the ephemeral user')
  })

  it.each([
    ['roles', '', 'roles'],
    ['roles', 'readWrite', 'roles'],
    ['roles', 'readWrite@', 'roles'],
    ['roles', '@app', 'roles'],
    ['roles', 'read Write@app', 'roles'],
    ['roles', 'readWrite@app, readWriteAnyDatabase@app', 'roles'],
    ['roles', 'read@my.db$x', 'roles'],
    ['scopes', 'Cluster_0', 'scopes'],
    ['scopes', '-cluster', 'scopes'],
    ['username', 'ci.user', 'username'],
    ['username', 'p'.repeat(54), 'username'],
    ['wait-until-ready', 'yes', 'wait-until-ready'],
    ['ready-timeout-seconds', '0', 'ready-timeout-seconds'],
    ['ready-timeout-seconds', '3601', 'ready-timeout-seconds'],
    ['ephemeral-ttl-hours', '0', 'ephemeral-ttl-hours'],
    ['months', '25', 'months']
  ])('bad %s %j → Invalid input, no request', async (input, value, name) => {
    const main = await atlas.step('main', {
      inputs: atlas.inputs('api-key', {
        operation: 'create-ephemeral-user',
        roles: 'read@app',
        [input]: value
      }),
      env: RUN_ENV
    })
    expect(main.errors).toEqual([expect.objectContaining({ title: `Invalid input: ${name}` })])
    expect(main.errors[0]!.message).toContain(
      input === 'roles' ? value.split(', ').at(-1)!.trim() : value
    )
    expect(atlasRequests(atlas.emulator)).toHaveLength(0)
  })
})

describe('delete-user', () => {
  it('deletes a $external user (deleted=true), and a missing one is a notice (deleted=false)', async () => {
    const { emulator } = atlas
    emulator.addUser(emulator.groupId, {
      username: 'CN=old user,O=Org',
      databaseName: '$external',
      x509Type: 'CUSTOMER'
    })
    const first = await atlas.main('service-account', {
      operation: 'delete-user',
      username: 'CN=old user,O=Org'
    })
    expect(first.exitCode).toBe(0)
    expect(first.outputs.deleted).toBe('true')
    expect(atlasRequests(emulator).at(-1)).toMatchObject({
      method: 'DELETE',
      path: `/api/atlas/v2/groups/${emulator.groupId}/databaseUsers/%24external/CN%3Dold%20user%2CO%3DOrg`,
      status: 204
    })
    const second = await atlas.step('main', {
      inputs: atlas.inputs('api-key', { operation: 'delete-user', username: 'CN=old user,O=Org' })
    })
    expect(second.exitCode).toBe(0)
    expect(second.outputs.deleted).toBe('false')
    expect(second.notices).toEqual([expect.objectContaining({ title: 'User already absent' })])
    expect(second.summary).toContain('already absent')
  })
})

describe('prune-ephemeral-users', () => {
  it('deletes exactly the expired users this action created, across pages; dry-run only reports', async () => {
    const { emulator } = atlas
    const hour = 3600_000
    const label = (expiresInMs: number, managed = true) => [
      ...(managed ? [{ key: 'managed-by', value: 'atlas-x509-action' }] : []),
      { key: 'expires-at', value: new Date(Date.now() + expiresInMs).toISOString() },
      { key: 'github-run', value: 'octo-org/app/1/1/test' }
    ]
    const expired = ['gha-old-1', 'gha-old-2', 'gha-old-3']
    for (const name of expired)
      emulator.addUser(emulator.groupId, {
        username: name,
        databaseName: '$external',
        labels: label(-hour)
      })
    for (const name of ['gha-live-1', 'gha-live-2'])
      emulator.addUser(emulator.groupId, {
        username: name,
        databaseName: '$external',
        labels: label(hour)
      })
    emulator.addUser(emulator.groupId, {
      username: 'hand-made',
      databaseName: '$external',
      labels: label(-hour, false)
    })
    emulator.addUser(emulator.groupId, { username: 'plain', databaseName: '$external', labels: [] })
    const total = emulator.users(emulator.groupId).length
    expect(total).toBeGreaterThan(8) // more than two pages of 4

    const dry = await atlas.step('main', {
      inputs: atlas.inputs('api-key', { operation: 'prune-ephemeral-users', 'dry-run': 'true' })
    })
    expect(dry.exitCode).toBe(0)
    expect((JSON.parse(dry.outputs.pruned!) as string[]).sort()).toEqual(expired)
    expect(dry.outputs.count).toBe('3')
    expect(emulator.users(emulator.groupId)).toHaveLength(total)
    expect(atlasRequests(emulator).filter(r => r.method === 'DELETE')).toHaveLength(0)
    const pages = atlasRequests(emulator).filter(r => r.method === 'GET' && r.status === 200)
    expect(pages.length).toBe(Math.ceil(total / 4))
    expect(pages[0]!.path).toContain('itemsPerPage=500')
    expect(dry.summary).toContain('dry run')

    emulator.clearRequests()
    const real = await atlas.step('main', {
      inputs: atlas.inputs('service-account', { operation: 'prune-ephemeral-users' })
    })
    expect(real.exitCode).toBe(0)
    expect((JSON.parse(real.outputs.pruned!) as string[]).sort()).toEqual(expired)
    expect(real.outputs.count).toBe('3')
    const remaining = emulator.users(emulator.groupId).map(u => u.username)
    for (const name of expired) expect(remaining).not.toContain(name)
    for (const name of ['gha-live-1', 'gha-live-2', 'hand-made', 'plain', 'ci-user'])
      expect(remaining).toContain(name)
    expect(
      atlasRequests(emulator)
        .filter(r => r.method === 'DELETE')
        .map(r => r.status)
    ).toEqual([204, 204, 204])
    for (const name of ['gha-live-1', 'gha-live-2', 'hand-made', 'plain']) {
      await atlas.step('main', {
        inputs: atlas.inputs('api-key', { operation: 'delete-user', username: name })
      })
    }
  })
})
