/** Clusters, Flex clusters, their change status and the apply delay of user changes. */
import {
  SEEDED_CLUSTER,
  SEEDED_FLEX_CLUSTER,
  startEmulator,
  type Emulator
} from '../../emulator/index.js'
import { atlasFetch, curl, fetchToken } from './helpers.js'

const CLUSTERS_2024 = 'application/vnd.atlas.2024-08-05+json'
const FLEX_2024 = 'application/vnd.atlas.2024-11-13+json'

let emulator: Emulator
let token: string
let clock = new Date('2026-11-20T10:00:00Z')

beforeAll(async () => {
  emulator = await startEmulator({ now: () => clock, applyDelayMs: 5_000 })
  token = await fetchToken(emulator)
})
afterAll(() => emulator.close())

const group = () => `/api/atlas/v2/groups/${emulator.groupId}`
const advance = (ms: number) => (clock = new Date(clock.getTime() + ms))
const status = async (name: string) =>
  (await atlasFetch(emulator, token, `${group()}/clusters/${name}/status`)).json() as {
    changeStatus: string
  }

interface Page {
  results: Array<Record<string, unknown>>
  totalCount?: number
  links: Array<{ rel: string; href: string }>
}

/** The page of a list in one version: answered 200 and labelled with that version. */
async function listPage(path: string, mediaType: string): Promise<Page> {
  const response = await atlasFetch(emulator, token, path, { headers: { Accept: mediaType } })
  expect(response.status).toBe(200)
  expect(response.headers.get('content-type')).toBe(mediaType)
  return response.json() as Page
}

describe('lists', () => {
  it('lists dedicated clusters in version 2024-08-05, labelled with that version', async () => {
    const page = await listPage(`${group()}/clusters`, CLUSTERS_2024)
    expect(page.totalCount).toBe(1)
    expect(page.results[0]).toMatchObject({
      name: SEEDED_CLUSTER,
      groupId: emulator.groupId,
      clusterType: 'REPLICASET',
      stateName: 'IDLE'
    })
    expect(page.results[0]?.id).toMatch(/^[a-f0-9]{24}$/)
  })

  it('resolves a later Accept date to 2024-08-05', async () => {
    const response = await atlasFetch(emulator, token, `${group()}/clusters`, {
      headers: { Accept: 'application/vnd.atlas.2025-03-12+json' }
    })
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toBe(CLUSTERS_2024)
  })

  it('answers an older version 400 CANNOT_USE_FLEX_CLUSTER_IN_CLUSTER_API next to a Flex cluster', async () => {
    const response = await atlasFetch(emulator, token, `${group()}/clusters`)
    expect(response.status).toBe(400)
    expect(response.json()).toMatchObject({
      error: 400,
      errorCode: 'CANNOT_USE_FLEX_CLUSTER_IN_CLUSTER_API'
    })
  })

  it('answers an older version 406 in a project without Flex clusters', async () => {
    const response = await atlasFetch(
      emulator,
      token,
      `/api/atlas/v2/groups/${emulator.otherGroupId}/clusters`
    )
    expect(response.status).toBe(406)
    expect(response.json()).toMatchObject({ errorCode: 'INVALID_VERSION_DATE' })
  })

  it('lists Flex clusters in version 2024-11-13 only', async () => {
    const page = await listPage(`${group()}/flexClusters`, FLEX_2024)
    expect(page.results).toHaveLength(1)
    expect(page.results[0]).toMatchObject({
      name: SEEDED_FLEX_CLUSTER,
      groupId: emulator.groupId,
      clusterType: 'REPLICASET',
      providerSettings: { providerName: 'FLEX' }
    })
    const older = await atlasFetch(emulator, token, `${group()}/flexClusters`, {
      headers: { Accept: CLUSTERS_2024 }
    })
    expect(older.status).toBe(406)
  })

  it('pages both lists (itemsPerPage, pageNum, includeCount, links)', async () => {
    for (let i = 1; i <= 4; i++) emulator.addCluster(emulator.otherGroupId, `Paged${i}`)
    const path = `/api/atlas/v2/groups/${emulator.otherGroupId}/clusters`
    const first = (
      await atlasFetch(emulator, token, `${path}?itemsPerPage=3`, {
        headers: { Accept: CLUSTERS_2024 }
      })
    ).json() as Page
    expect(first.results.map(c => c.name)).toEqual(['Paged1', 'Paged2', 'Paged3'])
    expect(first.totalCount).toBe(4)
    expect(first.links.map(l => l.rel)).toEqual(['self', 'next'])
    const second = (
      await atlasFetch(emulator, token, `${path}?itemsPerPage=3&pageNum=2&includeCount=false`, {
        headers: { Accept: CLUSTERS_2024 }
      })
    ).json() as Page
    expect(second.results.map(c => c.name)).toEqual(['Paged4'])
    expect(second).not.toHaveProperty('totalCount')
    const tooMany = await atlasFetch(emulator, token, `${path}?itemsPerPage=501`, {
      headers: { Accept: CLUSTERS_2024 }
    })
    expect(tooMany.status).toBe(400)
    const flexPage = (
      await atlasFetch(emulator, token, `${group()}/flexClusters?itemsPerPage=1&pageNum=2`, {
        headers: { Accept: FLEX_2024 }
      })
    ).json() as Page
    expect(flexPage).toMatchObject({ results: [], totalCount: 1 })
  })
})

describe('status and the apply delay', () => {
  const user = (username: string, scopes: unknown[] = []) => ({
    databaseName: '$external',
    groupId: emulator.groupId,
    username,
    x509Type: 'MANAGED',
    roles: [{ roleName: 'readWrite', databaseName: 'app' }],
    scopes
  })

  it('answers 404 CLUSTER_NOT_FOUND for an unknown cluster', async () => {
    const response = await atlasFetch(emulator, token, `${group()}/clusters/Nope/status`)
    expect(response.status).toBe(404)
    expect(response.json()).toEqual({
      detail: `No cluster named Nope exists in group ${emulator.groupId}.`,
      error: 404,
      errorCode: 'CLUSTER_NOT_FOUND',
      parameters: ['Nope', emulator.groupId],
      reason: 'Not Found'
    })
  })

  it('reports PENDING on every cluster an unscoped user reaches, then APPLIED after the delay', async () => {
    expect(await status(SEEDED_CLUSTER)).toMatchObject({ changeStatus: 'APPLIED' })
    const created = await atlasFetch(emulator, token, `${group()}/databaseUsers`, {
      method: 'POST',
      body: user('delayed-1')
    })
    expect(created.status).toBe(201)
    const response = await atlasFetch(
      emulator,
      token,
      `${group()}/clusters/${SEEDED_CLUSTER}/status`
    )
    expect(response.headers.get('content-type')).toBe('application/vnd.atlas.2023-01-01+json')
    expect(response.json()).toMatchObject({ changeStatus: 'PENDING' })
    expect(await status(SEEDED_FLEX_CLUSTER)).toMatchObject({ changeStatus: 'PENDING' })
    advance(4_999)
    expect(emulator.clusterChangeStatus(emulator.groupId, SEEDED_CLUSTER)).toBe('PENDING')
    advance(1)
    expect(await status(SEEDED_CLUSTER)).toMatchObject({ changeStatus: 'APPLIED' })
    expect(await status(SEEDED_FLEX_CLUSTER)).toMatchObject({ changeStatus: 'APPLIED' })
  })

  it('touches only the scoped clusters of a scoped user, and a delete is pending too', async () => {
    await atlasFetch(emulator, token, `${group()}/databaseUsers`, {
      method: 'POST',
      body: user('scoped-1', [{ name: SEEDED_FLEX_CLUSTER, type: 'CLUSTER' }])
    })
    expect(emulator.clusterChangeStatus(emulator.groupId, SEEDED_CLUSTER)).toBe('APPLIED')
    expect(emulator.clusterChangeStatus(emulator.groupId, SEEDED_FLEX_CLUSTER)).toBe('PENDING')
    advance(5_000)
    const deleted = await atlasFetch(
      emulator,
      token,
      `${group()}/databaseUsers/%24external/scoped-1`,
      { method: 'DELETE' }
    )
    expect(deleted.status).toBe(204)
    expect(emulator.clusterChangeStatus(emulator.groupId, SEEDED_FLEX_CLUSTER)).toBe('PENDING')
    advance(5_000)
    expect(emulator.clusterChangeStatus(emulator.groupId, SEEDED_FLEX_CLUSTER)).toBe('APPLIED')
  })

  it('honours a per-cluster delay and a cluster that never applies', async () => {
    emulator.addCluster(emulator.groupId, 'Quick', { applyDelayMs: 0 })
    emulator.addCluster(emulator.groupId, 'Stuck', { neverApplies: true })
    await atlasFetch(emulator, token, `${group()}/databaseUsers`, {
      method: 'POST',
      body: user('delayed-2')
    })
    expect(emulator.clusterChangeStatus(emulator.groupId, 'Quick')).toBe('APPLIED')
    advance(60_000)
    expect(emulator.clusterChangeStatus(emulator.groupId, SEEDED_CLUSTER)).toBe('APPLIED')
    expect(await status('Stuck')).toMatchObject({ changeStatus: 'PENDING' })
    emulator.setClusterApplies(emulator.groupId, 'Stuck', true)
    expect(await status('Stuck')).toMatchObject({ changeStatus: 'APPLIED' })
    expect(emulator.clusters(emulator.groupId).map(c => [c.name, c.flex])).toEqual([
      [SEEDED_CLUSTER, false],
      [SEEDED_FLEX_CLUSTER, true],
      ['Quick', false],
      ['Stuck', false]
    ])
  })

  it('adds and tunes clusters through the control routes', async () => {
    const base = `${emulator.url}/__emulator/groups/${emulator.groupId}/clusters`
    const added = await curl(['-X', 'POST', '--data', '{"name":"Ctl1","neverApplies":true}', base])
    expect(added.status).toBe(201)
    expect(JSON.parse(added.body)).toMatchObject({ name: 'Ctl1', flex: false })
    await atlasFetch(emulator, token, `${group()}/databaseUsers`, {
      method: 'POST',
      body: user('delayed-3', [{ name: 'Ctl1', type: 'CLUSTER' }])
    })
    const tuned = await curl(['-X', 'PATCH', '--data', '{"applies":true}', `${base}/Ctl1`])
    expect(JSON.parse(tuned.body)).toMatchObject({ name: 'Ctl1', changeStatus: 'PENDING' })
    advance(5_000)
    const snapshot = await curl([`${emulator.url}/__emulator/groups/${emulator.groupId}`])
    const clusters = (JSON.parse(snapshot.body) as { clusters: Array<{ name: string }> }).clusters
    expect(clusters.find(c => c.name === 'Ctl1')).toMatchObject({ changeStatus: 'APPLIED' })
    const bad = await curl(['-X', 'POST', '--data', '{"name":"bad name"}', base])
    expect(bad.status).toBe(400)
  })
})
