/**
 * One OAuth access token per job, none left active: the main step's token goes to the post step
 * in state, is reused there while it has a minute left, and the post step revokes the job's tokens.
 */
import { expect } from '@jest/globals'
import { atlasRequests, FakeClock, atlasForFile } from '../support/inprocess.js'

const atlas = atlasForFile()

const oauth = (path: string) => atlasRequests(atlas.emulator).filter(r => r.path === path)
const revokedTokens = () =>
  oauth('/api/oauth/revoke').map(r => new URLSearchParams(r.body).get('token'))

describe('a service account job', () => {
  it('create-ephemeral-user: one token for main and post, revoked at the end', async () => {
    const { main, post } = await atlas.job({
      inputs: atlas.inputs('service-account', {
        operation: 'create-ephemeral-user',
        roles: 'read@app',
        'wait-until-ready': 'false'
      })
    })
    expect(main.exitCode).toBe(0)
    expect(post.exitCode).toBe(0)
    expect(oauth('/api/oauth/token')).toHaveLength(1)
    const deleteRequest = atlasRequests(atlas.emulator).find(r => r.method === 'DELETE')!
    const handed = JSON.parse(main.state['atlas-access-token']!) as { value: string }
    // The post step deleted the user with the main step's token, then revoked that token.
    expect(deleteRequest.headers.authorization).toBe(`Bearer ${handed.value}`)
    expect(revokedTokens()).toEqual([handed.value])
    expect(atlasRequests(atlas.emulator).at(-1)!.path).toBe('/api/oauth/revoke')
    expect(post.info).toContain("Revoked the service account's access token (1).")
  })

  it('list-certificates: a post step with nothing else to do still revokes the token', async () => {
    const { main, post } = await atlas.job({
      inputs: atlas.inputs('service-account', {
        operation: 'list-certificates',
        username: 'ci-user'
      })
    })
    expect(main.exitCode).toBe(0)
    expect(oauth('/api/oauth/token')).toHaveLength(1)
    expect(revokedTokens()).toHaveLength(1)
    expect(post.exitCode).toBe(0)
  })

  it('a handed-over token with less than a minute left is not reused: a new one, both revoked', async () => {
    const inputs = atlas.inputs('service-account', {
      operation: 'create-ephemeral-user',
      roles: 'read@app',
      'wait-until-ready': 'false'
    })
    const main = await atlas.step('main', { inputs })
    const handed = JSON.parse(main.state['atlas-access-token']!) as {
      value: string
      expiresAt: number
    }
    const late = new FakeClock()
    late.offsetMs = handed.expiresAt - Date.now() - 59_000
    const post = await atlas.step('post', { inputs, state: main.state, clock: late })
    expect(post.exitCode).toBe(0)
    const tokens = oauth('/api/oauth/token')
    expect(tokens).toHaveLength(2)
    expect(revokedTokens()).toHaveLength(2)
    expect(revokedTokens()).toContain(handed.value)
  })

  it('no token is saved when the step failed before any request', async () => {
    const main = await atlas.step('main', {
      inputs: atlas.inputs('service-account', { operation: 'create-certificate' })
    })
    expect(main.errors[0]!.title).toBe('Invalid input: username')
    expect(main.state['atlas-access-token']).toBe('')
    expect(atlasRequests(atlas.emulator)).toEqual([])
  })

  it('a failed revocation is a warning: the job does not fail for it', async () => {
    atlas.emulator.fault({ path: '/api/oauth/revoke', kind: 'status', status: 400, times: 1 })
    const { post } = await atlas.job({
      inputs: atlas.inputs('service-account', {
        operation: 'list-certificates',
        username: 'ci-user'
      })
    })
    expect(post.exitCode).toBe(0)
    expect(post.warnings).toEqual([expect.objectContaining({ title: 'Access token not revoked' })])
  })
})

describe("a token answer that is not Atlas's", () => {
  const answerToken = (fields: Record<string, unknown>) =>
    atlas.emulator.fault({
      method: 'POST',
      path: '/api/oauth/token',
      kind: 'body',
      status: 200,
      body: JSON.stringify({ token_type: 'Bearer', ...fields }),
      contentType: 'application/json'
    })

  // A 128 KiB token in state made the post step's environment too large to start it; an
  // expires_in of 1e306 saved an expiry of null, and the post step revoked nothing.
  it.each([
    ['a 128 KiB token', { access_token: 'a'.repeat(128 * 1024), expires_in: 3600 }],
    ['a token with a control character', { access_token: 'abcdefgh\u001b[31m', expires_in: 3600 }],
    ['an expires_in of 1e306', { access_token: 'abcdefgh12345678', expires_in: 1e306 }],
    ['an expires_in of 0', { access_token: 'abcdefgh12345678', expires_in: 0 }],
    ['an expires_in as a string', { access_token: 'abcdefgh12345678', expires_in: '3600' }]
  ])('%s: one titled error, nothing saved, masked or sent with it', async (_, fields) => {
    answerToken(fields)
    const main = await atlas.step('main', {
      inputs: atlas.inputs('service-account', {
        operation: 'list-certificates',
        username: 'ci-user'
      })
    })
    expect(main.errors).toEqual([
      {
        level: 'error',
        title: 'Unexpected answer from Atlas',
        message: expect.stringMatching(
          /token endpoint answered 200 with an? (access_token|expires_in)/
        )
      }
    ])
    // Written empty as the step's first act, and never with the token.
    const saved = main.events.flatMap(e =>
      e.kind === 'saveState' && e.name === 'atlas-access-token' ? [e.value] : []
    )
    expect(saved).toEqual([''])
    expect(main.masks).not.toContain(fields.access_token)
    expect(main.log).not.toContain(fields.access_token)
    expect(atlasRequests(atlas.emulator).map(r => r.path)).toEqual(['/api/oauth/token'])
  })
})

it('an API key job sends no token request and no revocation', async () => {
  const { post } = await atlas.job({
    inputs: atlas.inputs('api-key', { operation: 'list-certificates', username: 'ci-user' })
  })
  expect(post.exitCode).toBe(0)
  expect(oauth('/api/oauth/token')).toEqual([])
  expect(oauth('/api/oauth/revoke')).toEqual([])
})
