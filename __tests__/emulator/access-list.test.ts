/**
 * The emulator's project IP access list: the routes (PENDING, then ACTIVE after the activation
 * delay; deleteAfterDate checked; Atlas's error bodies), and its MongoDB endpoints admitting only
 * listed addresses.
 */
import { connect } from 'node:tls'
import { SEEDED_CLUSTER, startEmulator, type Emulator } from '../../emulator/index.js'
import { atlasFetch, fetchToken } from './helpers.js'

let emulator: Emulator
let token: string
let offsetMs = 0
const ACTIVATION_MS = 5000
const DAY_MS = 86_400_000

beforeAll(async () => {
  emulator = await startEmulator({
    now: () => new Date(Date.now() + offsetMs),
    accessListActivationMs: ACTIVATION_MS
  })
  token = await fetchToken(emulator)
})
afterAll(() => emulator.close())

const path = (suffix = '') => `/api/atlas/v2/groups/${emulator.groupId}/accessList${suffix}`
const inDays = (days: number) => new Date(Date.now() + offsetMs + days * DAY_MS).toISOString()
const add = (entries: unknown) =>
  atlasFetch(emulator, token, path(), { method: 'POST', body: entries })

describe('the access-list routes', () => {
  it('adds an entry PENDING, reports ACTIVE after the activation delay, and deletes it', async () => {
    const added = await add([
      { ipAddress: '203.0.113.7', comment: 'ci', deleteAfterDate: inDays(1) }
    ])
    expect(added.status).toBe(200)
    const got = await atlasFetch(emulator, token, path('/203.0.113.7'))
    expect(got.json()).toMatchObject({
      ipAddress: '203.0.113.7',
      comment: 'ci',
      groupId: emulator.groupId
    })
    expect((await atlasFetch(emulator, token, path('/203.0.113.7/status'))).json()).toEqual({
      STATUS: 'PENDING'
    })
    offsetMs += ACTIVATION_MS
    expect((await atlasFetch(emulator, token, path('/203.0.113.7/status'))).json()).toEqual({
      STATUS: 'ACTIVE'
    })
    expect(
      (await atlasFetch(emulator, token, path('/203.0.113.7'), { method: 'DELETE' })).status
    ).toBe(204)
    const gone = await atlasFetch(emulator, token, path('/203.0.113.7'))
    expect(gone.status).toBe(404)
    expect(gone.json()).toMatchObject({
      error: 404,
      errorCode: 'ATLAS_NETWORK_PERMISSION_ENTRY_NOT_FOUND'
    })
  })

  it('takes a CIDR block with its slash percent-encoded in the path', async () => {
    expect((await add([{ cidrBlock: '198.51.100.0/24', deleteAfterDate: inDays(1) }])).status).toBe(
      200
    )
    expect((await atlasFetch(emulator, token, path('/198.51.100.0%2F24'))).json()).toMatchObject({
      cidrBlock: '198.51.100.0/24'
    })
    expect(
      (await atlasFetch(emulator, token, path('/198.51.100.0%2F24'), { method: 'DELETE' })).status
    ).toBe(204)
  })

  it.each([
    ['in the past', -1, 'EXPIRATION_DATE_IN_PAST'],
    ['more than a week ahead', 7.01, 'EXPIRATION_DATE_EXCEEDS_MAX']
  ])('refuses a deleteAfterDate %s, adding nothing', async (_what, days, code) => {
    const answer = await add([{ ipAddress: '203.0.113.20', deleteAfterDate: inDays(days) }])
    expect(answer.status).toBe(400)
    expect(answer.json()).toMatchObject({ error: 400, errorCode: code, reason: 'Bad Request' })
    expect(emulator.accessList(emulator.groupId).map(e => e.value)).not.toContain('203.0.113.20')
  })

  it('refuses to make a permanent entry temporary, and a body that is not an array', async () => {
    const temporary = await add([{ ipAddress: '127.0.0.1', deleteAfterDate: inDays(1) }])
    expect(temporary.json()).toMatchObject({
      errorCode: 'PERMANENT_ENTITY_CANNOT_BE_MADE_TEMPORARY'
    })
    expect((await add({ ipAddress: '203.0.113.21' })).status).toBe(400)
    expect((await add([{ ipAddress: '203.0.113.300' }])).json()).toMatchObject({
      errorCode: 'INVALID_IP_ADDRESS'
    })
  })

  it('drops a temporary entry once its deleteAfterDate has passed', async () => {
    await add([{ ipAddress: '203.0.113.30', deleteAfterDate: inDays(1) }])
    offsetMs += DAY_MS
    token = await fetchToken(emulator)
    expect((await atlasFetch(emulator, token, path('/203.0.113.30'))).status).toBe(404)
  })
})

/** Whether a TLS handshake with the endpoint gets as far as the server's certificate. */
function handshake(port: number): Promise<'tls' | 'closed'> {
  return new Promise(resolve => {
    const socket = connect({ host: '127.0.0.1', port, rejectUnauthorized: false })
    socket.once('secureConnect', () => {
      socket.destroy()
      resolve('tls')
    })
    socket.once('error', () => resolve('closed'))
    socket.once('close', () => resolve('closed'))
  })
}

describe('the MongoDB endpoint and the access list', () => {
  it('closes connections from an address not on the list before TLS, admits it once listed', async () => {
    const endpoint = await emulator.startMongod(emulator.groupId, SEEDED_CLUSTER)
    emulator.setAccessList(emulator.groupId, ['203.0.113.0/24'])
    expect(await handshake(endpoint.port)).toBe('closed')
    emulator.setAccessList(emulator.groupId, ['127.0.0.0/8'])
    // The client certificate is required, but the server's certificate comes first.
    expect(await handshake(endpoint.port)).toBe('tls')
  })
})
