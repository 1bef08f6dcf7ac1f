import { createHash, randomBytes } from 'node:crypto'
import { AtlasProtocolError } from '../errors.js'

/** A parsed `WWW-Authenticate: Digest …` challenge (RFC 7616 §3.3). */
export interface DigestChallenge {
  realm: string
  nonce: string
  algorithm: DigestAlgorithm
  qop?: string
  opaque?: string
  stale: boolean
}

export type DigestAlgorithm = 'MD5' | 'MD5-sess' | 'SHA-256' | 'SHA-256-sess'

const ALGORITHMS: Record<string, DigestAlgorithm> = {
  MD5: 'MD5',
  'MD5-SESS': 'MD5-sess',
  'SHA-256': 'SHA-256',
  'SHA-256-SESS': 'SHA-256-sess'
}

/** Splits `key=value, key="quoted, value"` auth-params, honouring quoted-string escapes. */
function parseAuthParams(text: string): Map<string, string> {
  const params = new Map<string, string>()
  const pattern = /([A-Za-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))/g
  for (const match of text.matchAll(pattern)) {
    const value = match[2] !== undefined ? match[2].replace(/\\(.)/g, '$1') : (match[3] ?? '')
    params.set(match[1]!.toLowerCase(), value)
  }
  return params
}

/** Returns the Digest challenge of a `WWW-Authenticate` header, or undefined if it offers none. */
export function parseDigestChallenge(
  header: string | string[] | undefined
): DigestChallenge | undefined {
  const headers = Array.isArray(header) ? header : header ? [header] : []
  for (const value of headers) {
    const start = value.search(/(^|,\s*)Digest\s/i)
    if (start < 0) continue
    const params = parseAuthParams(value.slice(value.indexOf('igest', start) + 5))
    const nonce = params.get('nonce')
    const realm = params.get('realm')
    if (!nonce || realm === undefined) continue
    const algorithm = ALGORITHMS[(params.get('algorithm') ?? 'MD5').toUpperCase()]
    if (!algorithm) continue
    // Atlas's documented header says `op="auth"` for `qop`; accept both spellings.
    const qop = params.get('qop') ?? params.get('op')
    return {
      realm,
      nonce,
      algorithm,
      qop,
      opaque: params.get('opaque'),
      stale: (params.get('stale') ?? '').toLowerCase() === 'true'
    }
  }
  return undefined
}

export interface DigestInput {
  algorithm: DigestAlgorithm
  username: string
  password: string
  realm: string
  method: string
  uri: string
  nonce: string
  nc: string
  cnonce: string
  qop: string
}

function hashFor(algorithm: DigestAlgorithm): (data: string) => string {
  const name = algorithm.startsWith('SHA-256') ? 'sha256' : 'md5'
  return data => createHash(name).update(data, 'utf8').digest('hex')
}

/** The `response` value of RFC 7616 §3.4.1 (qop=auth). */
export function digestResponse(input: DigestInput): string {
  const hash = hashFor(input.algorithm)
  let ha1 = hash(`${input.username}:${input.realm}:${input.password}`)
  if (input.algorithm.endsWith('-sess')) ha1 = hash(`${ha1}:${input.nonce}:${input.cnonce}`)
  const ha2 = hash(`${input.method}:${input.uri}`)
  return hash(`${ha1}:${input.nonce}:${input.nc}:${input.cnonce}:${input.qop}:${ha2}`)
}

function quote(value: string): string {
  return `"${value.replace(/(["\\])/g, '\\$1')}"`
}

/**
 * Signs requests with one server challenge, reusing its nonce with an increasing nonce count
 * so that a step pays the challenge round trip once, not once per request.
 */
export class DigestSigner {
  private challenge: DigestChallenge | undefined
  private nonceCount = 0

  constructor(
    private readonly username: string,
    private readonly password: string,
    private readonly newCnonce: () => string = () => randomBytes(16).toString('hex')
  ) {}

  /** True when the last request signed reused a nonce an earlier request had used (nc above 1). */
  get reusedNonce(): boolean {
    return this.nonceCount > 1
  }

  accept(challenge: DigestChallenge): void {
    this.challenge = challenge
    this.nonceCount = 0
  }

  /** The Authorization header for this request, or undefined before the first challenge. */
  authorization(method: string, uri: string): string | undefined {
    const challenge = this.challenge
    if (!challenge) return undefined
    const qop = 'auth'
    if (challenge.qop && !challenge.qop.split(',').some(q => q.trim() === qop)) {
      throw new AtlasProtocolError(
        `The server's Digest challenge asks for qop="${challenge.qop}"; only "auth" is supported. Is base-url an Atlas origin?`
      )
    }
    this.nonceCount += 1
    const nc = this.nonceCount.toString(16).padStart(8, '0')
    const cnonce = this.newCnonce()
    const response = digestResponse({
      algorithm: challenge.algorithm,
      username: this.username,
      password: this.password,
      realm: challenge.realm,
      method,
      uri,
      nonce: challenge.nonce,
      nc,
      cnonce,
      qop
    })
    const parts = [
      `username=${quote(this.username)}`,
      `realm=${quote(challenge.realm)}`,
      `nonce=${quote(challenge.nonce)}`,
      `uri=${quote(uri)}`,
      `algorithm=${challenge.algorithm}`,
      `qop=${qop}`,
      `nc=${nc}`,
      `cnonce=${quote(cnonce)}`,
      `response=${quote(response)}`
    ]
    if (challenge.opaque !== undefined) parts.push(`opaque=${quote(challenge.opaque)}`)
    return `Digest ${parts.join(', ')}`
  }
}
