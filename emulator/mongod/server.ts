import type { X509Certificate } from 'node:crypto'
import type { AddressInfo, Socket } from 'node:net'
import { createServer, type Server, type TLSSocket } from 'node:tls'
import type { Document } from 'bson'
import type { TlsMaterial } from '../ca.js'
import type { MongodCommandRecord, MongodEndpoint } from '../types.js'
import { encodeReply, parseCommand, takeMessages, type WireCommand } from './wire.js'

/** A wire version the installed driver accepts (it needs 9 or more); 21 is MongoDB 7.0. */
const MAX_WIRE_VERSION = 21
const X509 = 'MONGODB-X509'

export interface X509Directory {
  /** PEM CAs a client certificate must chain to; read per connection (customer CAs change). */
  trustedCas(): string[]
  /** The user name a verified certificate logs in as now, or null to refuse. */
  login(cert: X509Certificate): string | null
  /** Whether the project's IP access list lets a client at this address connect now. */
  admits(address: string): boolean
}

const authFailed = {
  ok: 0,
  errmsg: 'Authentication failed.',
  code: 18,
  codeName: 'AuthenticationFailed'
}

interface Connection {
  id: number
  peer?: X509Certificate
  user?: string
}

/**
 * A TLS MongoDB endpoint for one cluster: client certificates required and verified, then just
 * enough of the wire protocol for a driver to connect, authenticate with MONGODB-X509 and ping.
 */
export class MongodListener {
  readonly log: MongodCommandRecord[] = []
  private readonly server: Server
  private readonly sockets = new Set<Socket>()
  private trustedKey = ''
  private nextConnectionId = 1
  private nextRequestId = 1
  endpoint?: MongodEndpoint

  constructor(
    private readonly tls: TlsMaterial,
    private readonly directory: X509Directory
  ) {
    this.server = createServer(
      {
        cert: tls.certPem,
        key: tls.keyPem,
        ca: directory.trustedCas(),
        requestCert: true,
        rejectUnauthorized: true
      },
      socket => this.serve(socket)
    )
    // Runs before the TLS wrap, so every handshake checks against the CAs of that moment.
    this.server.prependListener('connection', (socket: Socket) => {
      // As Atlas's firewall: an address off the project's access list gets no TLS handshake.
      if (!directory.admits(socket.remoteAddress ?? '')) {
        socket.destroy()
        return
      }
      this.sockets.add(socket)
      socket.once('close', () => this.sockets.delete(socket))
      this.refreshTrustedCas()
    })
    this.server.on('tlsClientError', () => {})
  }

  private refreshTrustedCas(): void {
    const cas = this.directory.trustedCas()
    const key = cas.join('')
    if (key === this.trustedKey) return
    this.trustedKey = key
    this.server.setSecureContext({ cert: this.tls.certPem, key: this.tls.keyPem, ca: cas })
  }

  async listen(): Promise<MongodEndpoint> {
    this.trustedKey = this.directory.trustedCas().join('')
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject)
      this.server.listen(0, '127.0.0.1', () => resolve())
    })
    const { port } = this.server.address() as AddressInfo
    this.endpoint = {
      host: '127.0.0.1',
      port,
      uri: `mongodb://127.0.0.1:${port}/?tls=true&directConnection=true`,
      caPem: this.tls.caPem
    }
    return this.endpoint
  }

  private serve(socket: TLSSocket): void {
    const connection: Connection = {
      id: this.nextConnectionId++,
      peer: socket.getPeerX509Certificate()
    }
    let pending: Buffer = Buffer.alloc(0)
    socket.on('data', (chunk: Buffer) => {
      try {
        const { messages, rest } = takeMessages(Buffer.concat([pending, chunk]))
        pending = rest
        for (const message of messages) {
          const command = parseCommand(message)
          const reply = this.run(command, connection)
          if (!command.noReply) socket.write(encodeReply(command, this.nextRequestId++, reply))
        }
      } catch {
        socket.destroy()
      }
    })
    socket.on('error', () => socket.destroy())
  }

  private run(command: WireCommand, connection: Connection): Document {
    const name = Object.keys(command.body)[0] ?? ''
    this.log.push({
      connectionId: connection.id,
      opCode: command.opCode,
      command: name,
      db: command.db,
      body: command.body
    })
    switch (name.toLowerCase()) {
      case 'hello':
      case 'ismaster':
        return this.hello(command.body, name, connection)
      case 'authenticate':
      case 'saslstart':
        return this.authenticate(command.body, command.db, connection)
      case 'ping':
      case 'endsessions':
        return { ok: 1 }
      case 'connectionstatus':
        return {
          authInfo: {
            authenticatedUsers: connection.user ? [{ user: connection.user, db: '$external' }] : [],
            authenticatedUserRoles: []
          },
          ok: 1
        }
      default:
        return {
          ok: 0,
          errmsg: `no such command: '${name}'`,
          code: 59,
          codeName: 'CommandNotFound'
        }
    }
  }

  /** A standalone server; X.509 speculative authentication answered when it succeeds. */
  private hello(body: Document, name: string, connection: Connection): Document {
    const reply: Document = {
      ...(name === 'hello' ? { isWritablePrimary: true } : { ismaster: true }),
      ...(body.helloOk ? { helloOk: true } : {}),
      maxBsonObjectSize: 16 * 1024 * 1024,
      maxMessageSizeBytes: 48_000_000,
      maxWriteBatchSize: 100_000,
      localTime: new Date(),
      logicalSessionTimeoutMinutes: 30,
      connectionId: connection.id,
      minWireVersion: 0,
      maxWireVersion: MAX_WIRE_VERSION,
      readOnly: false
    }
    const speculative = body.speculativeAuthenticate as Document | undefined
    if (speculative?.mechanism === X509) {
      const answer = this.authenticate(speculative, '$external', connection)
      // A failed speculative attempt is left out: the driver then authenticates explicitly.
      if (answer.ok === 1)
        reply.speculativeAuthenticate = { dbname: '$external', user: answer.user as unknown }
    }
    return { ...reply, ok: 1 }
  }

  private authenticate(body: Document, db: string, connection: Connection): Document {
    if (body.mechanism !== X509) {
      return {
        ok: 0,
        errmsg: `Unsupported mechanism ${String(body.mechanism)}: this endpoint speaks ${X509} only.`,
        code: 2,
        codeName: 'BadValue'
      }
    }
    const dbName = typeof body.db === 'string' ? body.db : db
    if (dbName !== '$external' || !connection.peer) return authFailed
    const user = this.directory.login(connection.peer)
    if (!user || (body.user !== undefined && body.user !== user)) return authFailed
    connection.user = user
    if (body.saslStart) {
      return { conversationId: 1, done: true, payload: Buffer.alloc(0), dbname: db, user, ok: 1 }
    }
    return { dbname: '$external', user, ok: 1 }
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy()
    await new Promise<void>(resolve => this.server.close(() => resolve()))
  }
}
