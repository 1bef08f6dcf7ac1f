import {
  createServer as createHttpServer,
  type IncomingMessage,
  type ServerResponse
} from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import { checkVersionedAccept, VERSIONED_JSON } from './accept.js'
import { Authenticator } from './auth.js'
import { createCertificateAuthority, createTlsMaterial } from './ca.js'
import { DigestVerifier } from './digest.js'
import {
  flattenHeaders,
  readBody,
  sendApiError,
  sendBody,
  sendEmpty,
  sendJson,
  type Exchange
} from './exchange.js'
import { FaultBook } from './faults.js'
import { playFault } from './faultResponses.js'
import { ApiFailure } from './json.js'
import { TokenStore } from './oauth.js'
import type { Reply, RouteContext, ServerResources } from './routes/context.js'
import { handleControl } from './routes/control.js'
import { issueToken, revokeToken } from './routes/oauth.js'
import { matchRoute, v1Routes, v2Routes } from './routes/table.js'
import { CertIdSequence, ProjectState, normalizeUser, seedRecord } from './state.js'
import type {
  CertificateRecordSeed,
  Credentials,
  DatabaseUser,
  Emulator,
  EmulatorOptions,
  FaultSpec,
  IssuedCertRecord,
  RecordedRequest
} from './types.js'

export const SEEDED_GROUP_ID = '32b6e34b3d91647abb20e7b8'
export const OTHER_GROUP_ID = '5e2211c17a3e5a48f5497de3'

/** Fake credentials: printing them is fine. */
export const EMULATOR_CREDENTIALS: Credentials = {
  publicKey: 'emulatorpub',
  privateKey: '5d4c3b2a-1f0e-4d9c-8b7a-6f5e4d3c2b1a',
  clientId: 'mdb_sa_id_65f1c0ffee0123456789abcd',
  clientSecret: 'mdb_sa_sk_emulator0secret0for0tests0only'
}

const groupIdPattern = /^[a-f0-9]{24}$/

class AtlasEmulator implements Emulator {
  url = ''
  readonly groupId = SEEDED_GROUP_ID
  readonly otherGroupId = OTHER_GROUP_ID
  readonly credentials = { ...EMULATOR_CREDENTIALS }
  readonly managedCaPem: string
  tlsCaPem?: string
  requests: RecordedRequest[] = []

  private readonly projects = new Map<string, ProjectState>()
  private readonly faults = new FaultBook()
  private readonly tokens: TokenStore
  private readonly auth: Authenticator
  private readonly timers = new Set<NodeJS.Timeout>()
  private server?: ReturnType<typeof createHttpServer>

  constructor(
    private readonly now: () => Date,
    private readonly resources: ServerResources & { served: Set<string> },
    options: EmulatorOptions
  ) {
    this.managedCaPem = resources.managedCa.pem
    this.tokens = new TokenStore(now, token => resources.recordSecret(token))
    const algorithm = options.digestAlgorithm ?? 'MD5'
    const digest = new DigestVerifier(
      algorithm,
      { username: this.credentials.publicKey, password: this.credentials.privateKey },
      options.nonceTtlMs ?? 300_000,
      now
    )
    this.auth = new Authenticator(digest, this.tokens, algorithm)
    for (const groupId of [SEEDED_GROUP_ID, OTHER_GROUP_ID]) {
      this.projects.set(groupId, new ProjectState(groupId))
    }
  }

  async listen(port: number, tls?: { certPem: string; keyPem: string; caPem: string }) {
    const handler = (req: IncomingMessage, res: ServerResponse) => {
      this.handle(req, res).catch(error => {
        sendApiError(
          { req, res, query: new URLSearchParams() } as Exchange,
          new ApiFailure(500, 'UNEXPECTED_ERROR', `Unexpected error: ${(error as Error).message}`)
        )
      })
    }
    this.server = tls
      ? createHttpsServer({ cert: tls.certPem, key: tls.keyPem }, handler)
      : createHttpServer(handler)
    this.tlsCaPem = tls?.caPem
    await new Promise<void>((resolve, reject) => {
      this.server?.once('error', reject)
      this.server?.listen(port, '127.0.0.1', () => resolve())
    })
    const address = this.server.address() as AddressInfo
    this.url = `${tls ? 'https' : 'http'}://127.0.0.1:${address.port}`
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req)
    const target = req.url ?? '/'
    const url = new URL(target, 'http://emulator.invalid')
    const scheme = this.url.startsWith('https') ? 'https' : 'http'
    const ex: Exchange = {
      req,
      res,
      method: (req.method ?? 'GET').toUpperCase(),
      target,
      pathname: url.pathname,
      query: url.searchParams,
      body,
      baseUrl: req.headers.host ? `${scheme}://${req.headers.host}` : this.url,
      record: {
        method: (req.method ?? 'GET').toUpperCase(),
        path: target,
        headers: flattenHeaders(req),
        body,
        status: 0,
        auth: null
      }
    }
    if (ex.pathname.startsWith('/__emulator/')) return handleControl(ex, this)
    this.requests.push(ex.record)
    res.on('finish', () => (ex.record.status = res.statusCode))

    if (ex.pathname === '/api/oauth/token' || ex.pathname === '/api/oauth/revoke') {
      const fault = this.faults.take(ex.method, [ex.pathname], spec => spec.kind !== 'stale-nonce')
      if (fault && (await playFault(ex, fault, this.auth, ms => this.sleep(ms)))) return
      const client = {
        clientId: this.credentials.clientId,
        clientSecret: this.credentials.clientSecret
      }
      if (ex.pathname === '/api/oauth/token') return issueToken(ex, client, this.tokens)
      return revokeToken(ex, client, this.tokens)
    }
    if (ex.pathname.startsWith('/api/atlas/')) return this.handleAtlas(ex)
    sendApiError(ex, notFound(ex.pathname))
  }

  private async handleAtlas(ex: Exchange): Promise<void> {
    const kind = this.auth.authenticate(ex)
    if (!kind) return
    ex.record.auth = kind
    const pathnames = [ex.pathname, safeDecode(ex.pathname) ?? ex.pathname]
    const fault = this.faults.take(
      ex.method,
      pathnames,
      spec => spec.kind !== 'stale-nonce' || kind === 'digest'
    )
    if (fault && (await playFault(ex, fault, this.auth, ms => this.sleep(ms)))) return
    try {
      const reply = await this.route(ex, fault?.kind === 'corrupt-pem' ? fault : undefined)
      this.sendReply(ex, reply)
    } catch (error) {
      if (!(error instanceof ApiFailure)) throw error
      sendApiError(ex, error)
    }
  }

  private async route(ex: Exchange, corrupt?: FaultSpec): Promise<Reply & { v2: boolean }> {
    const raw = ex.pathname.split('/')
    // ['', 'api', 'atlas', version, 'groups', groupId, ...rest]
    const version = raw[3]
    const v2 = version === 'v2'
    if (v2) checkVersionedAccept(ex.req.headers.accept, this.now())
    if ((!v2 && version !== 'v1.0') || raw[4] !== 'groups' || raw.length < 7) {
      throw notFound(ex.pathname)
    }
    const segments = raw.slice(5).map(segment => {
      const decoded = safeDecode(segment)
      if (decoded === null) throw notFound(ex.pathname)
      return decoded
    })
    const [groupId = '', ...rest] = segments
    const match = matchRoute(v2 ? v2Routes : v1Routes, rest)
    if (!match) throw notFound(ex.pathname)
    const handler = match.route.methods[ex.method]
    if (!handler) {
      const allowed = Object.keys(match.route.methods).join(', ')
      throw new ApiFailure(
        405,
        'METHOD_NOT_ALLOWED',
        `Method ${ex.method} is not allowed here.`,
        [],
        {
          Allow: allowed
        }
      )
    }
    const ctx: RouteContext = {
      project: this.projectForRequest(groupId),
      params: match.params,
      query: ex.query,
      body: ex.body,
      contentType: ex.req.headers['content-type'] ?? '',
      baseUrl: ex.baseUrl,
      pathname: ex.pathname,
      now: this.now(),
      server: this.resources,
      ...(corrupt ? { corruptPem: corrupt.variant ?? 'garbage' } : {})
    }
    return { ...(await handler(ctx)), v2 }
  }

  private projectForRequest(groupId: string): ProjectState {
    if (!groupIdPattern.test(groupId)) {
      throw new ApiFailure(
        400,
        'INVALID_GROUP_ID',
        `An invalid group ID ${groupId} was specified.`,
        [groupId]
      )
    }
    const project = this.projects.get(groupId)
    if (!project) {
      throw new ApiFailure(404, 'GROUP_NOT_FOUND', `No group with ID ${groupId} exists.`, [groupId])
    }
    return project
  }

  private sendReply(ex: Exchange, reply: Reply & { v2: boolean }): void {
    // Atlas labels v2 success bodies with the resolved version, the PEM text included.
    const contentType = reply.v2 ? VERSIONED_JSON : 'application/json'
    if ('json' in reply) return sendJson(ex, reply.status, reply.json, contentType)
    if ('text' in reply)
      return sendBody(ex, reply.status, reply.text, { 'Content-Type': contentType })
    sendEmpty(ex, reply.status)
  }

  private sleep(ms: number): Promise<void> {
    return new Promise(resolve => {
      const timer = setTimeout(() => {
        this.timers.delete(timer)
        resolve()
      }, ms)
      this.timers.add(timer)
    })
  }

  private project(groupId: string): ProjectState {
    const project = this.projects.get(groupId)
    if (!project) throw new Error(`the emulator has no project ${groupId}`)
    return project
  }

  clearRequests(): void {
    this.requests.length = 0
  }

  fault(spec: FaultSpec): void {
    this.faults.add(spec)
  }

  clearFaults(): void {
    this.faults.clear()
  }

  addUser(groupId: string, user: Partial<DatabaseUser> & { username: string }): void {
    this.project(groupId).putUser(normalizeUser(groupId, user))
  }

  getUser(groupId: string, databaseName: string, username: string): DatabaseUser | undefined {
    return this.project(groupId).getUser(databaseName, username)
  }

  users(groupId: string): DatabaseUser[] {
    return this.project(groupId).users()
  }

  issuedCertificates(groupId: string, username: string): IssuedCertRecord[] {
    return [...this.project(groupId).certificates(username)]
  }

  addCertificateRecord(groupId: string, username: string, record: CertificateRecordSeed): void {
    this.project(groupId).addCertificate(
      username,
      seedRecord(record, username, this.resources.certIds)
    )
  }

  setCustomerX509(groupId: string, casPem: string | null): void {
    this.project(groupId).customerCas = casPem
  }

  customerX509(groupId: string): string | null {
    return this.project(groupId).customerCas
  }

  servedSecrets(): string[] {
    return [...this.resources.served]
  }

  restarts(groupId: string): number {
    return this.project(groupId).restartCount
  }

  async close(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer)
    this.timers.clear()
    const server = this.server
    if (!server) return
    await new Promise<void>(resolve => {
      server.close(() => resolve())
      server.closeAllConnections()
    })
  }
}

function safeDecode(text: string): string | null {
  try {
    return decodeURIComponent(text)
  } catch {
    return null
  }
}

function notFound(pathname: string): ApiFailure {
  return new ApiFailure(404, 'RESOURCE_NOT_FOUND', `Cannot find resource ${pathname}.`, [pathname])
}

/** Seeds the two fixed projects: users to issue certs for, and a CA to disable. */
async function seed(emulator: AtlasEmulator, now: Date): Promise<void> {
  const managed = { databaseName: '$external', x509Type: 'MANAGED' } as const
  emulator.addUser(SEEDED_GROUP_ID, { ...managed, username: 'ci-user' })
  emulator.addUser(SEEDED_GROUP_ID, { ...managed, username: 'release-bot' })
  emulator.addUser(SEEDED_GROUP_ID, {
    databaseName: '$external',
    username: 'ldap-user',
    x509Type: 'NONE',
    ldapAuthType: 'USER'
  })
  const customerCa = await createCertificateAuthority(
    'customer-ca',
    'Customer Root CA',
    new Date(now.getTime() - 60_000),
    new Date(now.getTime() + 365 * 86_400_000)
  )
  emulator.setCustomerX509(OTHER_GROUP_ID, customerCa.pem)
}

export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const now = options.now ?? (() => new Date())
  const start = now()
  const managedCa = await createCertificateAuthority(
    'managed-ca',
    'Atlas Emulator Managed X.509 CA',
    new Date(start.getTime() - 86_400_000),
    new Date(start.getTime() + 10 * 365 * 86_400_000)
  )
  const served = new Set<string>()
  const resources: ServerResources & { served: Set<string> } = {
    served,
    recordSecret: secret => served.add(secret),
    managedCa,
    certIds: new CertIdSequence(),
    options: {
      certLimitPerUser: options.certLimitPerUser ?? 50,
      maxPageSize: options.maxPageSize ?? 500,
      keyAlgorithm: options.keyAlgorithm ?? 'RSA'
    }
  }
  const emulator = new AtlasEmulator(now, resources, options)
  await seed(emulator, start)
  const tls = options.tls ? await createTlsMaterial(start) : undefined
  await emulator.listen(options.port ?? 0, tls)
  return emulator
}
