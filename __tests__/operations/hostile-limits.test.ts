/**
 * Nothing a server sends makes the step throw past run(), exhaust memory or the stack, or end
 * with anything but exactly one error annotation.
 */
import { startHostile, type Hostile, type Recording } from './hostile-support.js'

let hostile: Hostile
beforeAll(async () => {
  hostile = await startHostile()
})
afterAll(() => hostile.close())
beforeEach(() => {
  hostile.emulator.clearFaults()
  hostile.emulator.clearRequests()
})

const deep = (depth: number) => '['.repeat(depth) + ']'.repeat(depth)
const usersPath = /\/groups\/[0-9a-f]{24}\/databaseUsers$/

function expectOneError(recording: Recording, title: string | RegExp): void {
  expect(recording.errors).toHaveLength(1)
  expect(recording.errors[0]!.title).toEqual(
    typeof title === 'string' ? title : expect.stringMatching(title)
  )
  expect(recording.errors[0]!.message.length).toBeLessThan(2100)
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
    hostile.emulator.fault({ method: 'GET', path: usersPath, kind: 'body', body })
    const { recording } = await hostile.step({ operation: 'prune-ephemeral-users' })
    expectOneError(recording, title)
  })
})

describe('hostile error bodies', () => {
  it('a JSON error body nested 100,000 deep is no Atlas answer', async () => {
    hostile.emulator.fault({ path: /\/certs$/, kind: 'body', status: 500, body: deep(100_000) })
    const { recording } = await hostile.step({
      operation: 'create-certificate',
      username: 'ci-user'
    })
    expectOneError(recording, 'Atlas API unreachable')
  })

  it('a 4 MB detail is cut to a readable annotation', async () => {
    hostile.emulator.fault({
      path: /\/certs$/,
      kind: 'status',
      status: 400,
      errorCode: 'INVALID_ATTRIBUTE',
      detail: 'x'.repeat(4_000_000)
    })
    const { recording } = await hostile.step({
      operation: 'create-certificate',
      username: 'ci-user'
    })
    expectOneError(recording, 'Atlas INVALID_ATTRIBUTE (HTTP 400)')
  })

  it('an errorCode that is not a code does not become the title', async () => {
    hostile.emulator.fault({
      path: /\/certs$/,
      kind: 'status',
      status: 400,
      errorCode: 'X\n::error::pwned, title=y',
      detail: '::error::inside the detail'
    })
    const { recording } = await hostile.step({
      operation: 'create-certificate',
      username: 'ci-user'
    })
    expectOneError(recording, 'Atlas HTTP_400 (HTTP 400)')
  })
})

describe('fields of the wrong type', () => {
  it('labels that are not an array: the user is not this action’s and is left alone', async () => {
    hostile.emulator.fault({
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
    const { recording } = await hostile.step({ operation: 'prune-ephemeral-users' })
    expect(recording.errors).toEqual([])
    expect(recording.outputs.count).toBe('0')
  })

  it('a certificate record whose _id is an object', async () => {
    hostile.emulator.fault({
      method: 'GET',
      path: /\/certs$/,
      kind: 'body',
      body: '{"results":[{"_id":{"$oid":"x"},"notAfter":"2099-01-01T00:00:00Z"}],"totalCount":1}'
    })
    const { recording } = await hostile.step({
      operation: 'list-certificates',
      username: 'ci-user'
    })
    expectOneError(recording, 'Unexpected answer from Atlas')
  })

  it.each(['null', '[]', '"on"'])('userSecurity answered as %s', async body => {
    hostile.emulator.fault({ method: 'GET', path: /\/userSecurity$/, kind: 'body', body })
    const { recording } = await hostile.step({ operation: 'get-customer-x509' })
    expectOneError(recording, 'Unexpected answer from Atlas')
  })

  it('a user answered for the ownership check with labels as a string', async () => {
    hostile.emulator.fault({
      method: 'POST',
      path: usersPath,
      kind: 'status',
      status: 409,
      errorCode: 'USER_ALREADY_EXISTS'
    })
    hostile.emulator.fault({
      method: 'GET',
      path: /\/databaseUsers\/(%24|\$)external\/[^/]+$/,
      kind: 'body',
      body: '{"username":"gha-x","databaseName":"$external","labels":"github-run"}'
    })
    const { recording } = await hostile.step({
      operation: 'create-ephemeral-user',
      roles: 'read@app',
      'wait-until-ready': 'false'
    })
    expectOneError(recording, 'Atlas USER_ALREADY_EXISTS (HTTP 409)')
  })
})
