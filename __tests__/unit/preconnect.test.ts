/**
 * The entry's early handshake: begun before the action loads, taken by the first request to the
 * same origin, never written on before then, and left without a word when anything is unusual.
 */
import { expect } from '@jest/globals'
import { rmSync } from 'node:fs'
import { createConnection, Socket } from 'node:net'
import * as tls from 'node:tls'
import { startEmulator, type Emulator } from '../../emulator/index.js'
import { preconnect, type Connectors, type Preconnection } from '../../src/atlas/preconnect.js'
import { run } from '../../src/main.js'
import { emulatorInputs } from '../support/emulator-fixtures.js'
import { RecordingIO, tempDir } from '../support/inprocess.js'

let emulator: Emulator
let runnerTemp: string
beforeAll(async () => {
  emulator = await startEmulator({ tls: true, clientKeyPool: 1 })
  runnerTemp = tempDir('preconnect-runner-temp-')
})
afterAll(async () => {
  await emulator.close()
  rmSync(runnerTemp, { recursive: true, force: true })
})
beforeEach(() => {
  emulator.clearRequests()
  emulator.resetConnectionStats()
})

/** Trusts the emulator's private CA, as NODE_EXTRA_CA_CERTS does for the bundle. */
const trustingEmulator: Connectors = {
  tcp: options => createConnection(options),
  tls: options => tls.connect({ ...options, ca: emulator.tlsCaPem })
}

/** A TCP socket that never connects, nor looks anything up, until told to. */
const idleSocket = () => new Socket()

/** Connectors that record what they are asked for and connect nothing. */
function recordingConnectors(seen: string[]): Connectors {
  return {
    tcp: ({ host, port }) => {
      seen.push(`tcp ${host}:${port}`)
      return idleSocket()
    },
    tls: options => {
      seen.push(`tls ${options.host} ${options.servername ?? '-'}`)
      return new tls.TLSSocket(null as never)
    }
  }
}

/** The same connectors, keeping each TCP socket they make in `sockets`. */
function keepingSockets(connectors: Connectors, sockets: Socket[]): Connectors {
  return {
    ...connectors,
    tcp: options => {
      const socket = connectors.tcp(options)
      sockets.push(socket)
      return socket
    }
  }
}

const handshakeDone = async () => {
  for (let i = 0; i < 200 && emulator.connectionStats().tlsHandshakes === 0; i++)
    await new Promise(done => setTimeout(done, 10))
}

async function mainStep(inputs: Record<string, string>, preconnection: Preconnection | undefined) {
  const io = new RecordingIO()
  await run({
    readInput: name => (inputs[name] ?? '').trim(),
    env: { RUNNER_TEMP: runnerTemp },
    io,
    ...(preconnection ? { preconnection } : {})
  })
  const failures = io.events.filter(e => e.kind === 'fail')
  return { io, failures }
}

describe('preconnect', () => {
  it.each([
    ['a proxy is configured', { HTTPS_PROXY: 'http://127.0.0.1:3128' }],
    ['a lower-case proxy is configured', { http_proxy: 'http://127.0.0.1:3128' }],
    ['the base URL does not parse', { 'INPUT_BASE-URL': 'not a url' }],
    ['the base URL is http://', { MONGODB_ATLAS_BASE_URL: 'http://127.0.0.1:8080' }],
    ['the base URL carries credentials', { 'INPUT_BASE-URL': 'https://u:p@cloud.mongodb.com' }]
  ])('leaves the usual path when %s', (_, env) => {
    const seen: string[] = []
    expect(preconnect(env, recordingConnectors(seen))).toBeUndefined()
    expect(seen).toEqual([])
  })

  it('connects to the base-url input first, then MONGODB_ATLAS_BASE_URL, then Atlas', () => {
    const seen: string[] = []
    const sockets: Socket[] = []
    const recording = keepingSockets(recordingConnectors(seen), sockets)
    for (const env of [
      {
        'INPUT_BASE-URL': 'https://cloud.mongodbgov.com',
        MONGODB_ATLAS_BASE_URL: 'https://x.test'
      },
      { MONGODB_ATLAS_BASE_URL: 'https://127.0.0.1:8443' },
      {}
    ]) {
      preconnect(env, recording)
      // TLS (and so node:tls) only once TCP is up; SNI only for a host name.
      sockets.at(-1)!.emit('connect')
    }
    expect(seen).toEqual([
      'tcp cloud.mongodbgov.com:443',
      'tls cloud.mongodbgov.com cloud.mongodbgov.com',
      'tcp 127.0.0.1:8443',
      'tls 127.0.0.1 -',
      'tcp cloud.mongodb.com:443',
      'tls cloud.mongodb.com cloud.mongodb.com'
    ])
  })

  it('starts TLS only once TCP is up: a step that ends first never loads node:tls', async () => {
    const seen: string[] = []
    const early = preconnect({}, recordingConnectors(seen))!
    await early.underway(1)
    early.discard()
    expect(seen).toEqual(['tcp cloud.mongodb.com:443'])
  })

  it.each([
    ['an IP address', (url: URL) => url.origin],
    ['a host name', (url: URL) => `https://localhost:${url.port}`]
  ])(
    'has sent the connect to %s once underway, before loading the action could block it',
    async (_, origin) => {
      const sockets: Socket[] = []
      const capturing = keepingSockets(trustingEmulator, sockets)
      const early = preconnect({ 'INPUT_BASE-URL': origin(new URL(emulator.url)) }, capturing)!
      // Node sends the connect on a later turn of the event loop: had the entry loaded the action
      // here, as it did, the handshake would have waited for the loading to end.
      expect(sockets[0]?.localPort).toBeUndefined()
      await early.underway()
      expect(sockets[0]?.localPort).toEqual(expect.any(Number))
      early.discard()
    }
  )

  it('waits for the address of the origin only so long', async () => {
    const early = preconnect(
      { 'INPUT_BASE-URL': 'https://cloud.mongodb.com' },
      { ...trustingEmulator, tcp: idleSocket }
    )!
    await expect(early.underway(20)).resolves.toBeUndefined()
    early.discard()
  })

  it('sends nothing on the connection: the handshake only, until a request takes it', async () => {
    const early = preconnect({ 'INPUT_BASE-URL': emulator.url }, trustingEmulator)!
    await handshakeDone()
    await new Promise(done => setTimeout(done, 50))
    expect(emulator.connectionStats()).toMatchObject({ connections: 1, tlsHandshakes: 1 })
    expect(emulator.requests).toEqual([])
    // An input error: the step ends before any request, and the connection carried nothing.
    const { failures } = await mainStep(
      emulatorInputs(emulator, 'api-key', { username: 'ci-user', months: '25' }),
      early
    )
    expect(failures).toEqual([expect.objectContaining({ title: 'Invalid input: months' })])
    early.discard()
    expect(emulator.requests).toEqual([])
  })

  it('create-certificate takes the early connection: 1 TCP connection, 1 TLS handshake', async () => {
    const early = preconnect({ 'INPUT_BASE-URL': emulator.url }, trustingEmulator)
    // The dispatcher's own connector does not trust the emulator's CA: only the handed-over
    // connection can carry the step.
    const { failures, io } = await mainStep(
      emulatorInputs(emulator, 'api-key', { username: 'ci-user' }),
      early
    )
    early?.discard()
    expect(failures).toEqual([])
    expect(io.events).toContainEqual(
      expect.objectContaining({ kind: 'setOutput', name: 'expires-at' })
    )
    expect(emulator.connectionStats()).toMatchObject({ connections: 1, tlsHandshakes: 1 })
    expect(new Set(emulator.requests.map(r => r.connection)).size).toBe(1)
  })

  it('a failed handshake is silent: the usual connection is made and reports what is wrong', async () => {
    // Without the emulator's CA the early handshake fails; so does the usual one, which says why.
    const early = preconnect({ 'INPUT_BASE-URL': emulator.url })
    const { failures } = await mainStep(
      emulatorInputs(emulator, 'api-key', { username: 'ci-user', 'max-retries': '0' }),
      early
    )
    expect(failures).toEqual([
      expect.objectContaining({
        title: 'Atlas API unreachable',
        message: expect.stringContaining('TLS failure')
      })
    ])
  })

  it('hands the socket to the first connection to its origin only, once', async () => {
    const early = preconnect({ 'INPUT_BASE-URL': emulator.url }, trustingEmulator)!
    const { hostname, port } = new URL(emulator.url)
    expect(
      early.takeFor({ protocol: 'https:', hostname: 'other.test', port }, 1000)
    ).toBeUndefined()
    expect(early.takeFor({ protocol: 'https:', hostname, port: 1 }, 1000)).toBeUndefined()
    const socket = await early.takeFor({ protocol: 'https:', hostname, port }, 5000)
    expect(socket?.encrypted).toBe(true)
    expect(early.takeFor({ protocol: 'https:', hostname, port }, 1000)).toBeUndefined()
    socket?.destroy()
  })

  it('checks the certificate against the origin: a name it does not carry gets no socket', async () => {
    // TCP reaches the emulator, whose certificate names 127.0.0.1, ::1 and localhost only.
    const { port } = new URL(emulator.url)
    const early = preconnect(
      { 'INPUT_BASE-URL': `https://atlas.invalid:${port}` },
      {
        ...trustingEmulator,
        tcp: () => createConnection({ host: '127.0.0.1', port: Number(port) })
      }
    )!
    expect(
      await early.takeFor({ protocol: 'https:', hostname: 'atlas.invalid', port }, 5000)
    ).toBeUndefined()
  })

  it('resolves to nothing when the handshake cannot be made', async () => {
    const early = preconnect({ 'INPUT_BASE-URL': 'https://127.0.0.1:1' })!
    expect(
      await early.takeFor({ protocol: 'https:', hostname: '127.0.0.1', port: '1' }, 5000)
    ).toBeUndefined()
  })
})
