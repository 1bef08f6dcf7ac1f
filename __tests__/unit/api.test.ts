import { HttpAtlasApi, isAtlasForGovernment } from '../../src/atlas/api.js'
import type { AtlasClient, CallOptions } from '../../src/atlas/client.js'
import { AtlasApiError } from '../../src/atlas/errors.js'

interface Call {
  method: string
  path: string
  options: CallOptions | undefined
}

/** A stand-in for the client: records each call and answers from a script. */
function fakeClient(answer: (call: Call) => unknown, baseUrl = 'https://cloud.mongodb.com') {
  const calls: Call[] = []
  const call = (method: string, path: string, options?: CallOptions) => {
    const entry = { method, path, options }
    calls.push(entry)
    const result = answer(entry)
    if (result instanceof Error) return Promise.reject(result)
    return Promise.resolve({
      status: 200,
      text: typeof result === 'string' ? result : JSON.stringify(result)
    })
  }
  const client = {
    requestCount: 0,
    baseUrl,
    call,
    json: async (
      method: string,
      path: string,
      options?: CallOptions,
      parse = JSON.parse
    ): Promise<unknown> => parse((await call(method, path, options)).text)
  }
  return { calls, api: new HttpAtlasApi(client as unknown as AtlasClient) }
}

const GROUP = '32b6e34b3d91647abb20e7b8'
const notFound = (code: string) => new AtlasApiError(404, code, 'gone')

describe('HttpAtlasApi', () => {
  it('creates a MANAGED $external user, with CLUSTER scopes only when clusters are named', async () => {
    const { calls, api } = fakeClient(() => ({}))
    const user = { username: 'u', roles: [], description: 'd', labels: [] }
    await api.createUser(GROUP, { ...user, clusters: [] })
    await api.createUser(GROUP, { ...user, clusters: ['Cluster0'] })
    const [unscoped, scoped] = calls.map(c => c.options?.body as Record<string, unknown>)
    expect(calls[0]).toMatchObject({
      method: 'POST',
      path: `/api/atlas/v2/groups/${GROUP}/databaseUsers`
    })
    expect(unscoped).toMatchObject({
      databaseName: '$external',
      x509Type: 'MANAGED',
      groupId: GROUP
    })
    expect(unscoped).not.toHaveProperty('scopes')
    expect(scoped!.scopes).toEqual([{ name: 'Cluster0', type: 'CLUSTER' }])
  })

  it('answers exists for 409 USER_ALREADY_EXISTS and rethrows other conflicts', async () => {
    const exists = fakeClient(() => new AtlasApiError(409, 'USER_ALREADY_EXISTS', 'x'))
    await expect(
      exists.api.createUser(GROUP, {
        username: 'u',
        roles: [],
        clusters: [],
        description: '',
        labels: []
      })
    ).resolves.toBe('exists')
    const other = fakeClient(() => new AtlasApiError(409, 'SOMETHING_ELSE', 'x'))
    await expect(
      other.api.createUser(GROUP, {
        username: 'u',
        roles: [],
        clusters: [],
        description: '',
        labels: []
      })
    ).rejects.toThrow(AtlasApiError)
  })

  it('reads a missing user as undefined only on USERNAME_NOT_FOUND', async () => {
    await expect(
      fakeClient(() => notFound('USERNAME_NOT_FOUND')).api.getUser(GROUP, 'u')
    ).resolves.toBeUndefined()
    await expect(
      fakeClient(() => notFound('GROUP_NOT_FOUND')).api.getUser(GROUP, 'u')
    ).rejects.toThrow(AtlasApiError)
  })

  it('percent-encodes $external and the username in user paths', async () => {
    const { calls, api } = fakeClient(() => '')
    await api.deleteUser(GROUP, 'a b/c')
    expect(calls[0]!.path).toBe(`/api/atlas/v2/groups/${GROUP}/databaseUsers/%24external/a%20b%2Fc`)
  })

  it('never repeats the writes that restart the clusters', async () => {
    const { calls, api } = fakeClient(call => (call.method === 'GET' ? '{}' : ''))
    await api.setCustomerCas(GROUP, 'PEM')
    await api.disableCustomerX509(GROUP)
    await api.getUserSecurity(GROUP)
    expect(calls.map(c => [c.method, c.path, c.options?.retry])).toEqual([
      ['PATCH', `/api/atlas/v2/groups/${GROUP}/userSecurity`, 'no-repeat'],
      ['DELETE', `/api/atlas/v2/groups/${GROUP}/userSecurity/customerX509`, 'no-repeat'],
      ['GET', `/api/atlas/v2/groups/${GROUP}/userSecurity`, undefined]
    ])
    expect(calls[0]!.options?.body).toEqual({ customerX509: { cas: 'PEM' } })
  })

  it('keeps certificate ids exact while reading every page', async () => {
    const { calls, api } = fakeClient(call =>
      call.options?.query?.pageNum === 1
        ? '{"results":[{"_id":9223372036854775807}],"totalCount":2}'
        : '{"results":[{"_id":9007199254740993}],"totalCount":2}'
    )
    const records = await api.listCertificates(GROUP, 'u')
    expect(records.map(r => r._id)).toEqual(['9223372036854775807', '9007199254740993'])
    expect(calls).toHaveLength(2)
  })

  it('lists cluster names with the cluster routes’ own versions; Atlas for Government has no Flex list', async () => {
    const answer = (call: Call) => ({
      results: [{ name: call.path.endsWith('flexClusters') ? 'F' : 'C' }]
    })
    const commercial = fakeClient(answer)
    expect(await commercial.api.listClusterNames(GROUP)).toEqual(['C'])
    expect(await commercial.api.listFlexClusterNames(GROUP)).toEqual(['F'])
    expect(commercial.calls.map(c => `${c.path} ${c.options?.version}`)).toEqual([
      `/api/atlas/v2/groups/${GROUP}/clusters 2024-08-05`,
      `/api/atlas/v2/groups/${GROUP}/flexClusters 2024-11-13`
    ])
    const gov = fakeClient(answer, 'https://cloud.mongodbgov.com')
    expect(await gov.api.listFlexClusterNames(GROUP)).toEqual([])
    expect(gov.calls).toEqual([])
    expect(isAtlasForGovernment('https://cloud.mongodbgov.com')).toBe(true)
    expect(isAtlasForGovernment('https://cloud-qa.mongodbgov.com:8443')).toBe(true)
    expect(isAtlasForGovernment('https://cloud.mongodb.com')).toBe(false)
    expect(isAtlasForGovernment('https://mongodbgov.com.example.org')).toBe(false)
  })

  it('reads a cluster’s change status; CLUSTER_NOT_FOUND is undefined, other 404s are errors', async () => {
    const answers: unknown[] = [
      { changeStatus: 'APPLIED' },
      { changeStatus: 'PENDING' },
      {},
      notFound('CLUSTER_NOT_FOUND'),
      notFound('GROUP_NOT_FOUND')
    ]
    const { api, calls } = fakeClient(() => answers.shift())
    expect(await api.getClusterChangeStatus(GROUP, 'a b')).toBe('APPLIED')
    expect(await api.getClusterChangeStatus(GROUP, 'c')).toBe('PENDING')
    expect(await api.getClusterChangeStatus(GROUP, 'c')).toBe('PENDING')
    expect(await api.getClusterChangeStatus(GROUP, 'c')).toBeUndefined()
    await expect(api.getClusterChangeStatus(GROUP, 'c')).rejects.toThrow(AtlasApiError)
    expect(calls[0]).toMatchObject({
      method: 'GET',
      path: `/api/atlas/v2/groups/${GROUP}/clusters/a%20b/status`
    })
    expect(calls[0]!.options?.version).toBe('2023-01-01')
  })
})
