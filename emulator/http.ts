import {
  createServer as createHttpServer,
  type IncomingMessage,
  type ServerResponse
} from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import type { AddressInfo, Socket } from 'node:net'
import type { TLSSocket } from 'node:tls'
import type { Authenticator } from './auth.js'
import type { TlsMaterial } from './ca.js'
import { flattenHeaders, readBody, sendApiError, type Exchange } from './exchange.js'
import { playFault } from './faultResponses.js'
import type { FaultBook } from './faults.js'
import { ApiFailure } from './json.js'
import type { ClientCredentials, TokenStore } from './oauth.js'
import { notFound, safeDecode, type AtlasRouter } from './router.js'
import { issueToken, revokeToken } from './routes/oauth.js'
import type { ConnectionStats, RecordedRequest } from './types.js'

export interface HttpFrontParts {
  auth: Authenticator
  tokens: TokenStore
  faults: FaultBook
  router: AtlasRouter
  oauthClient: ClientCredentials
  /** Answers /__emulator/* (not authenticated, not recorded). */
  control: (ex: Exchange) => void | Promise<void>
}

/** The listening side: takes requests in, records them, plays faults, authenticates. */
export class HttpFront {
  url = ''
  readonly requests: RecordedRequest[] = []
  readonly stats: ConnectionStats = { connections: 0, tlsHandshakes: 0, tlsResumed: 0 }
  private readonly listeners = new Set<(record: RecordedRequest) => void>()
  /** Connection ids by the client's address and port (the TLS socket wraps the TCP one). */
  private readonly socketIds = new Map<string, number>()
  private socketCount = 0
  private readonly timers = new Set<NodeJS.Timeout>()
  private server?: ReturnType<typeof createHttpServer>

  /** See Emulator.onExchange. */
  onExchange(listener: (record: RecordedRequest) => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  resetStats(): void {
    Object.assign(this.stats, { connections: 0, tlsHandshakes: 0, tlsResumed: 0 })
  }

  constructor(private readonly parts: HttpFrontParts) {}

  async listen(port: number, tls?: TlsMaterial): Promise<void> {
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
    // Counted per emulator, so a benchmark or a test can see how many connections a step opened.
    this.server.on('connection', (socket: Socket) => {
      this.stats.connections += 1
      const key = peerKey(socket)
      const id = ++this.socketCount
      this.socketIds.set(key, id)
      socket.once('close', () => {
        if (this.socketIds.get(key) === id) this.socketIds.delete(key)
      })
    })
    if (tls) {
      this.server.on('secureConnection', (socket: TLSSocket) => {
        this.stats.tlsHandshakes += 1
        if (socket.isSessionReused()) this.stats.tlsResumed += 1
      })
    }
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
    const method = (req.method ?? 'GET').toUpperCase()
    const ex: Exchange = {
      req,
      res,
      method,
      target,
      pathname: url.pathname,
      query: url.searchParams,
      body,
      baseUrl: req.headers.host ? `${scheme}://${req.headers.host}` : this.url,
      record: { method, path: target, headers: flattenHeaders(req), body, status: 0, auth: null }
    }
    if (ex.pathname.startsWith('/__emulator/')) return this.parts.control(ex)
    const connection = this.socketIds.get(peerKey(req.socket))
    if (connection !== undefined) ex.record.connection = connection
    this.requests.push(ex.record)
    res.on('finish', () => (ex.record.status = res.statusCode))
    res.on('close', () => {
      for (const listener of this.listeners) listener(ex.record)
    })

    if (ex.pathname === '/api/oauth/token' || ex.pathname === '/api/oauth/revoke') {
      const fault = this.parts.faults.take(
        ex.method,
        [ex.pathname],
        spec => spec.kind !== 'stale-nonce'
      )
      if (fault && (await this.play(ex, fault))) return
      const { oauthClient, tokens } = this.parts
      if (ex.pathname === '/api/oauth/token') return issueToken(ex, oauthClient, tokens)
      return revokeToken(ex, oauthClient, tokens)
    }
    if (ex.pathname.startsWith('/api/atlas/')) return this.handleAtlas(ex)
    sendApiError(ex, notFound(ex.pathname))
  }

  private async handleAtlas(ex: Exchange): Promise<void> {
    const kind = this.parts.auth.authenticate(ex)
    if (!kind) return
    ex.record.auth = kind
    const pathnames = [ex.pathname, safeDecode(ex.pathname) ?? ex.pathname]
    const fault = this.parts.faults.take(
      ex.method,
      pathnames,
      spec => spec.kind !== 'stale-nonce' || kind === 'digest'
    )
    if (fault && (await this.play(ex, fault))) return
    const corruptPem = fault?.kind === 'corrupt-pem' ? (fault.variant ?? 'garbage') : undefined
    await this.parts.router.dispatch(ex, corruptPem)
  }

  private play(ex: Exchange, fault: Parameters<typeof playFault>[1]): Promise<boolean> {
    return playFault(ex, fault, this.parts.auth, ms => this.sleep(ms))
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

function peerKey(socket: Socket): string {
  return `${socket.remoteAddress ?? ''}:${socket.remotePort ?? ''}`
}
