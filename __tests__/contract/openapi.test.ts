/**
 * The contract check itself. The operation and dist tiers validate every exchange through their
 * harness (see support/openapi-contract.ts); this file proves the checker catches what it should.
 * It runs against the subset committed beside this file, or the file ATLAS_OPENAPI names.
 */
import { readFileSync } from 'node:fs'
import type { RecordedRequest } from '../../emulator/index.js'
import {
  COMMITTED_SPEC,
  CONTRACT_ENV,
  OpenApiContract,
  contractPath
} from '../support/openapi-contract.js'

const GROUP = '32b6e34b3d91647abb20e7b8'
const V1 = 'application/vnd.atlas.2023-01-01+json'
const users = `/api/atlas/v2/groups/${GROUP}/databaseUsers`

function exchange(overrides: Partial<RecordedRequest> = {}): RecordedRequest {
  return {
    method: 'GET',
    path: `${users}/%24external/ci-user`,
    headers: { accept: V1, authorization: 'Bearer t' },
    body: '',
    status: 200,
    auth: 'bearer',
    response: {
      headers: { 'content-type': V1, 'ratelimit-limit': '100', 'ratelimit-remaining': '99' },
      body: JSON.stringify({
        databaseName: '$external',
        username: 'ci-user',
        x509Type: 'MANAGED',
        roles: [{ roleName: 'read', databaseName: 'app' }]
      })
    },
    ...overrides
  }
}

describe('the spec the check uses', () => {
  const given = process.env[CONTRACT_ENV]
  afterEach(() => {
    if (given === undefined) delete process.env[CONTRACT_ENV]
    else process.env[CONTRACT_ENV] = given
  })

  it(`is the committed subset unless ${CONTRACT_ENV} names another file`, () => {
    delete process.env[CONTRACT_ENV]
    expect(contractPath()).toBe(COMMITTED_SPEC)
    process.env[CONTRACT_ENV] = ' '
    expect(contractPath()).toBe(COMMITTED_SPEC)
    process.env[CONTRACT_ENV] = '/elsewhere/spec.json'
    expect(contractPath()).toBe('/elsewhere/spec.json')
  })

  it('the committed subset is the official Admin API spec, with its licence and origin', () => {
    const { info } = JSON.parse(readFileSync(COMMITTED_SPEC, 'utf8')) as {
      info: { title: string; license: { name: string }; 'x-provenance': string }
    }
    expect(info.title).toBe('MongoDB Atlas Administration API')
    expect(info.license.name).toBe('CC BY-NC-SA 3.0 US')
    expect(info['x-provenance']).toMatch(
      /^Subset of the official multi-version Atlas Admin API spec/
    )
  })
})

describe('contract check against the OpenAPI subset', () => {
  let contract: OpenApiContract
  beforeAll(() => {
    contract = new OpenApiContract(contractPath())
  })

  it('passes a well-formed exchange', () => {
    expect(contract.check(exchange())).toEqual([])
  })

  it('flags an unknown path, a wrong method and an undeclared or sunset Accept', () => {
    expect(contract.check(exchange({ path: `/api/atlas/v2/groups/${GROUP}/nothing` }))).toEqual([
      expect.stringContaining('no path template')
    ])
    expect(contract.check(exchange({ method: 'PUT' }))[0]).toContain('method PUT is not declared')
    const noVersion = exchange({ headers: { accept: 'application/json' } })
    expect(contract.check(noVersion).join()).toContain('names none of')
    const clusters = exchange({
      path: `/api/atlas/v2/groups/${GROUP}/clusters`,
      headers: { accept: 'application/vnd.atlas.2023-02-01+json' },
      status: 0,
      response: undefined
    })
    // 2023-02-01 is declared with x-sunset 2027-07-01: allowed until then, refused after.
    const sunset = contract.check(clusters).join()
    expect(new Date() < new Date('2027-07-01') ? sunset : 'sunset').toMatch(/^$|sunset/)
  })

  it('flags paging parameters out of bounds and undeclared query parameters', () => {
    for (const query of ['itemsPerPage=0', 'itemsPerPage=501', 'pageNum=0', 'includeCount=yes']) {
      const problems = contract.check(exchange({ path: `${users}?${query}`, status: 0 }))
      expect([query, problems.length > 0]).toEqual([query, true])
    }
    expect(contract.check(exchange({ path: `${users}?limit=5`, status: 0 })).join()).toContain(
      'query parameter limit is not declared'
    )
  })

  it('refuses readOnly fields in a request and writeOnly fields in a response', () => {
    const post = exchange({
      method: 'POST',
      path: `${users}/ci-user/certs`,
      headers: { accept: V1, 'content-type': V1 },
      body: JSON.stringify({ monthsUntilExpiration: 3, _id: 1 }),
      status: 0,
      response: undefined
    })
    expect(contract.check(post).join()).toContain('request body /_id')
    const withGroupId = exchange()
    withGroupId.response!.body = JSON.stringify({
      ...JSON.parse(withGroupId.response!.body),
      groupId: GROUP
    })
    expect(contract.check(withGroupId).join()).toContain('response body /groupId')
  })

  it('checks error bodies as ApiError, with scalar parameters allowed', () => {
    const notFound = exchange({
      status: 404,
      response: {
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          detail: 'No user with username x exists.',
          error: 404,
          errorCode: 'USERNAME_NOT_FOUND',
          parameters: ['x', 55],
          reason: 'Not Found'
        })
      }
    })
    expect(contract.check(notFound)).toEqual([])
    notFound.response!.body = JSON.stringify({ error: 404 })
    expect(contract.check(notFound).join()).toContain('errorCode')
  })

  it('accepts CN= certificate subjects and wants _id as a bare int64 literal', () => {
    const record = (id: string) =>
      exchange({
        path: `${users}/ci-user/certs`,
        response: {
          headers: { 'content-type': V1 },
          body:
            `{"links":[],"results":[{"_id":${id},"createdAt":"2026-01-01T00:00:00Z",` +
            `"groupId":"${GROUP}","notAfter":"2026-04-01T00:00:00Z","subject":"CN=ci-user"}],` +
            `"totalCount":1}`
        }
      })
    expect(contract.check(record('2039020905786260978'))).toEqual([])
    expect(contract.check(record('"2039020905786260978"')).join()).toContain('bare int64')
  })

  it('checks the OAuth token and revoke requests as documented', () => {
    const token = exchange({
      method: 'POST',
      path: '/api/oauth/token',
      headers: {
        authorization: 'Basic aWQ6c2VjcmV0',
        'content-type': 'application/x-www-form-urlencoded'
      },
      body: 'grant_type=client_credentials',
      response: {
        headers: { 'content-type': 'application/json' },
        body: '{"access_token":"a","expires_in":3600,"token_type":"Bearer"}'
      }
    })
    expect(contract.check(token)).toEqual([])
    const revoke = exchange({
      ...token,
      path: '/api/oauth/revoke',
      body: 'token=a',
      response: { headers: {}, body: '' }
    })
    expect(contract.check(revoke).join()).toContain('token_type_hint must be access_token')
  })
})
