/**
 * A fake of the GitHub REST endpoints that store Actions secrets (repository and environment):
 * `GET …/secrets/public-key` and `PUT …/secrets/{name}`, over HTTP on 127.0.0.1. Each store has a
 * real X25519 key pair, so tests can open what was stored with the private key.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

/** What a token may do: `write` reads keys and writes secrets, `read` only reads keys. */
export type TokenPermission = 'write' | 'read'

export interface GitHubEmulatorOptions {
  /** `owner/repo` → its environments. Default: `octo-org/release-app` with `production`. */
  repositories?: Record<string, string[]>
}

export interface StoreKeyPair {
  keyId: string
  /** Raw 32-byte X25519 keys. */
  publicKey: Uint8Array
  privateKey: Uint8Array
}

/** A secret as the action sent it. */
export interface StoredSecret {
  encrypted_value: string
  key_id: string
}

export interface GitHubRequest {
  method: string
  path: string
  /** The token sent, null without an Authorization header. */
  token: string | null
  status: number
  body: string
}

export interface GitHubEmulator {
  /** The API base URL, as GITHUB_API_URL. */
  url: string
  /** The default repository (`owner/repo`) and its environment. */
  repository: string
  environment: string
  tokens: { write: string; readOnly: string; invalid: string }
  requests: GitHubRequest[]
  clearRequests(): void
  /** The key pair of a repository's store, or of one of its environments. */
  keyPair(repository: string, environment?: string): StoreKeyPair
  secret(repository: string, name: string, environment?: string): StoredSecret | undefined
  close(): Promise<void>
}

interface Store {
  keys: StoreKeyPair
  secrets: Map<string, StoredSecret>
}

function newKeyPair(): StoreKeyPair {
  const { publicKey, privateKey } = generateKeyPairSync('x25519')
  const raw = (key: typeof publicKey, field: 'x' | 'd') =>
    new Uint8Array(Buffer.from(key.export({ format: 'jwk' })[field]!, 'base64url'))
  return {
    keyId: String(randomBytes(6).readUIntBE(0, 6)),
    publicKey: raw(publicKey, 'x'),
    privateKey: raw(privateKey, 'd')
  }
}

const storeKey = (repository: string, environment?: string) =>
  `${repository.toLowerCase()}#${environment ?? ''}`

export async function startGitHubEmulator(
  options: GitHubEmulatorOptions = {}
): Promise<GitHubEmulator> {
  const repositories = options.repositories ?? { 'octo-org/release-app': ['production'] }
  const stores = new Map<string, Store>()
  for (const [repository, environments] of Object.entries(repositories)) {
    for (const environment of [undefined, ...environments]) {
      stores.set(storeKey(repository, environment), { keys: newKeyPair(), secrets: new Map() })
    }
  }
  const tokens = {
    write: `ghp_write${randomBytes(12).toString('hex')}`,
    readOnly: `ghp_read${randomBytes(12).toString('hex')}`,
    invalid: `ghp_invalid${randomBytes(12).toString('hex')}`
  }
  const permissions = new Map<string, TokenPermission>([
    [tokens.write, 'write'],
    [tokens.readOnly, 'read']
  ])
  const requests: GitHubRequest[] = []

  const handle = (req: IncomingMessage, body: string): { status: number; json?: unknown } => {
    const header = req.headers.authorization ?? ''
    const token = /^(?:Bearer|token)\s+(\S+)$/i.exec(header)?.[1] ?? null
    if (token === null) return { status: 401, json: { message: 'Requires authentication' } }
    const permission = permissions.get(token)
    if (!permission) return { status: 401, json: { message: 'Bad credentials' } }

    const url = new URL(req.url ?? '/', 'http://127.0.0.1')
    const match =
      /^\/repos\/([^/]+)\/([^/]+)(?:\/environments\/([^/]+))?\/(?:actions\/)?secrets\/([^/]+)$/.exec(
        url.pathname
      )
    const notFound = { status: 404, json: { message: 'Not Found' } }
    if (!match) return notFound
    const [, owner, repo, environment, last] = match
    const isEnvironment = environment !== undefined
    // Repository secrets live under /actions/secrets, environment secrets under /secrets.
    if (url.pathname.includes('/actions/secrets/') === isEnvironment) return notFound
    const store = stores.get(
      storeKey(
        `${decodeURIComponent(owner!)}/${decodeURIComponent(repo!)}`,
        isEnvironment ? decodeURIComponent(environment) : undefined
      )
    )
    if (!store) return notFound

    if (last === 'public-key') {
      if (req.method !== 'GET') return notFound
      return {
        status: 200,
        json: {
          key_id: store.keys.keyId,
          key: Buffer.from(store.keys.publicKey).toString('base64')
        }
      }
    }
    if (req.method !== 'PUT') return notFound
    if (permission !== 'write') {
      return {
        status: 403,
        json: { message: 'Resource not accessible by personal access token' }
      }
    }
    const name = decodeURIComponent(last!)
    let parsed: Partial<StoredSecret>
    try {
      parsed = JSON.parse(body) as Partial<StoredSecret>
    } catch {
      return { status: 400, json: { message: 'Problems parsing JSON' } }
    }
    if (
      typeof parsed.encrypted_value !== 'string' ||
      !/^[A-Za-z0-9+/]+={0,2}$/.test(parsed.encrypted_value) ||
      parsed.key_id !== store.keys.keyId
    ) {
      return { status: 422, json: { message: 'Invalid request.' } }
    }
    const existed = store.secrets.has(name.toUpperCase())
    store.secrets.set(name.toUpperCase(), {
      encrypted_value: parsed.encrypted_value,
      key_id: parsed.key_id
    })
    return { status: existed ? 204 : 201, ...(existed ? {} : { json: {} }) }
  }

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = ''
    req.setEncoding('utf8')
    req.on('data', chunk => (body += chunk))
    req.on('end', () => {
      const { status, json } = handle(req, body)
      const header = req.headers.authorization ?? ''
      requests.push({
        method: req.method ?? '',
        path: req.url ?? '',
        token: /^(?:Bearer|token)\s+(\S+)$/i.exec(header)?.[1] ?? null,
        status,
        body
      })
      res.writeHead(status, json === undefined ? {} : { 'content-type': 'application/json' })
      res.end(json === undefined ? undefined : JSON.stringify(json))
    })
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  const [repository, environments] = Object.entries(repositories)[0]!

  const storeOf = (repo: string, environment?: string) => {
    const store = stores.get(storeKey(repo, environment))
    if (!store) throw new Error(`No store for ${repo}${environment ? ` (${environment})` : ''}`)
    return store
  }
  return {
    url: `http://127.0.0.1:${port}`,
    repository,
    environment: environments[0] ?? '',
    tokens,
    requests,
    clearRequests: () => void requests.splice(0),
    keyPair: (repo, environment) => storeOf(repo, environment).keys,
    secret: (repo, name, environment) => storeOf(repo, environment).secrets.get(name.toUpperCase()),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections()
        server.close(error => (error ? reject(error) : resolve()))
      })
  }
}
