/**
 * Nothing a server sends makes the step throw past run(), exhaust memory or the stack, or end
 * with anything but exactly one error annotation.
 */
import {
  singleTryStep,
  atlasForFile,
  type StepOptions,
  type StepResult
} from '../support/inprocess.js'

const atlas = atlasForFile()

const mainStep = (inputs: Record<string, string>, options: StepOptions = {}) =>
  singleTryStep(atlas, inputs, options)

const deep = (depth: number) => '['.repeat(depth) + ']'.repeat(depth)
const usersPath = /\/groups\/[0-9a-f]{24}\/databaseUsers$/

function expectOneError(result: StepResult, title: string | RegExp): void {
  expect(result.errors).toHaveLength(1)
  expect(result.exitCode).toBe(1)
  expect(result.errors[0]!.title).toEqual(
    typeof title === 'string' ? title : expect.stringMatching(title)
  )
  expect(result.errors[0]!.message.length).toBeLessThan(2100)
}

describe.each([
  ['a JSON array nested 100,000 deep', deep(100_000), 'Unexpected answer from Atlas'],
  [
    'results nested 100,000 deep',
    `{"results":[${deep(100_000)}],"totalCount":1}`,
    'Unexpected answer from Atlas'
  ],
  [
    'a results array of a million items (2 MB)',
    `{"results":[${'0,'.repeat(999_999)}0],"totalCount":1000000}`,
    'Unexpected answer from Atlas'
  ],
  [
    'a user whose username is not a string',
    '{"results":[{"username":5,"databaseName":"$external"}],"totalCount":1}',
    'Unexpected answer from Atlas'
  ],
  ['null', 'null', 'Unexpected answer from Atlas'],
  // A 200 that is not JSON is an answer, just not Atlas's: not "unreachable".
  ['not JSON', '{"results":[', 'Unexpected answer from Atlas']
])('a user list that is %s', (_, body, title) => {
  it('ends prune with exactly one error annotation', async () => {
    atlas.emulator.fault({ method: 'GET', path: usersPath, kind: 'body', body })
    const result = await mainStep({ operation: 'prune-ephemeral-users' })
    expectOneError(result, title)
  })
})

describe('hostile error bodies', () => {
  it('a JSON error body nested 100,000 deep is no Atlas answer', async () => {
    atlas.emulator.fault({ path: /\/certs$/, kind: 'body', status: 500, body: deep(100_000) })
    const result = await mainStep({
      operation: 'create-certificate',
      username: 'ci-user'
    })
    expectOneError(result, 'Atlas API unreachable')
  })

  it('a 4 MB detail is cut to a readable annotation', async () => {
    atlas.emulator.fault({
      path: /\/certs$/,
      kind: 'status',
      status: 400,
      errorCode: 'INVALID_ATTRIBUTE',
      detail: 'x'.repeat(4_000_000)
    })
    const result = await mainStep({
      operation: 'create-certificate',
      username: 'ci-user'
    })
    expectOneError(result, 'Atlas INVALID_ATTRIBUTE (HTTP 400)')
  })

  it('an errorCode that is not a code does not become the title', async () => {
    atlas.emulator.fault({
      path: /\/certs$/,
      kind: 'status',
      status: 400,
      errorCode: 'X\n::error::pwned, title=y',
      detail: '::error::inside the detail'
    })
    const result = await mainStep({
      operation: 'create-certificate',
      username: 'ci-user'
    })
    expectOneError(result, 'Atlas HTTP_400 (HTTP 400)')
  })
})

describe('fields of the wrong type', () => {
  it('labels that are not an array: the user is not this action’s and is left alone', async () => {
    atlas.emulator.fault({
      method: 'GET',
      path: usersPath,
      kind: 'body',
      body: JSON.stringify({
        results: [
          { username: 'gha-x', databaseName: '$external', labels: 'managed-by=atlas-x509-action' },
          { username: 'gha-y', databaseName: '$external', labels: [null, 7, { key: 1 }] }
        ],
        totalCount: 2
      })
    })
    const result = await mainStep({ operation: 'prune-ephemeral-users' })
    expect(result.errors).toEqual([])
    expect(result.outputs.count).toBe('0')
  })

  it('a certificate record whose _id is an object', async () => {
    atlas.emulator.fault({
      method: 'GET',
      path: /\/certs$/,
      kind: 'body',
      body: '{"results":[{"_id":{"$oid":"x"},"notAfter":"2099-01-01T00:00:00Z"}],"totalCount":1}'
    })
    const result = await mainStep({
      operation: 'list-certificates',
      username: 'ci-user'
    })
    expectOneError(result, 'Unexpected answer from Atlas')
  })

  it.each(['null', '[]', '"on"'])('userSecurity answered as %s', async body => {
    atlas.emulator.fault({ method: 'GET', path: /\/userSecurity$/, kind: 'body', body })
    const result = await mainStep({ operation: 'get-customer-x509' })
    expectOneError(result, 'Unexpected answer from Atlas')
  })

  it.each(['null', '[]', '7'])(
    'a cluster status answered as %s: one titled error, no JavaScript error',
    async body => {
      atlas.emulator.fault({ method: 'GET', path: /\/status$/, kind: 'body', body })
      const result = await mainStep({
        operation: 'create-ephemeral-user',
        roles: 'read@app',
        scopes: 'Cluster0'
      })
      expectOneError(result, 'Unexpected answer from Atlas')
      expect(result.errors[0]!.message).toContain('not a ClusterStatus object')
    }
  )

  it('a user answered for the ownership check with labels as a string', async () => {
    atlas.emulator.fault({
      method: 'POST',
      path: usersPath,
      kind: 'status',
      status: 409,
      errorCode: 'USER_ALREADY_EXISTS'
    })
    atlas.emulator.fault({
      method: 'GET',
      path: /\/databaseUsers\/(%24|\$)external\/[^/]+$/,
      kind: 'body',
      body: '{"username":"gha-x","databaseName":"$external","labels":"github-run"}'
    })
    const result = await mainStep({
      operation: 'create-ephemeral-user',
      roles: 'read@app',
      'wait-until-ready': 'false'
    })
    expectOneError(result, 'Atlas USER_ALREADY_EXISTS (HTTP 409)')
  })
})
