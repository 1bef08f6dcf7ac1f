import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import type { DigestAlgorithm } from './types.js'

/** HTTP Digest (RFC 7616) as Atlas speaks it: realm "MMS Public API", qop=auth, no opaque. */
export const DIGEST_REALM = 'MMS Public API'

export interface DigestParams {
  algorithm: DigestAlgorithm
  username: string
  realm: string
  password: string
  method: string
  uri: string
  nonce: string
  nc: string
  cnonce: string
  qop: string
}

function hash(algorithm: DigestAlgorithm, text: string): string {
  return createHash(algorithm === 'MD5' ? 'md5' : 'sha256')
    .update(text, 'utf8')
    .digest('hex')
}

/** response = H(H(user:realm:pass):nonce:nc:cnonce:qop:H(method:uri)) (RFC 7616 §3.4.1, qop=auth). */
export function computeDigestResponse(p: DigestParams): string {
  const ha1 = hash(p.algorithm, `${p.username}:${p.realm}:${p.password}`)
  const ha2 = hash(p.algorithm, `${p.method}:${p.uri}`)
  return hash(p.algorithm, `${ha1}:${p.nonce}:${p.nc}:${p.cnonce}:${p.qop}:${ha2}`)
}

/** Parses the auth-params of `Digest k=v, k="v"` (quoted strings may hold commas and escapes). */
export function parseDigestHeader(header: string): Record<string, string> | null {
  const match = /^Digest\s+(.*)$/is.exec(header.trim())
  if (!match) return null
  const params: Record<string, string> = {}
  const paramPattern = /\s*([A-Za-z0-9_*-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))\s*(?:,|$)/gy
  const rest = match[1] ?? ''
  let consumed = 0
  let item: RegExpExecArray | null
  while (consumed < rest.length && (item = paramPattern.exec(rest)) !== null) {
    const name = (item[1] ?? '').toLowerCase()
    params[name] = item[2] !== undefined ? item[2].replace(/\\(.)/g, '$1') : (item[3] ?? '')
    consumed = paramPattern.lastIndex
  }
  return consumed >= rest.trimEnd().length ? params : null
}

export function challengeHeader(algorithm: DigestAlgorithm, nonce: string, stale: boolean): string {
  return (
    `Digest realm="${DIGEST_REALM}", domain="", nonce="${nonce}", ` +
    `algorithm=${algorithm}, qop="auth", stale=${stale}`
  )
}

interface NonceState {
  issuedAt: number
  lastNc: number
}

export type DigestVerdict = { ok: true } | { ok: false; stale: boolean; reason: string }

/** Issues nonces and checks digest responses against them, with a TTL and an nc replay guard. */
export class DigestVerifier {
  private readonly nonces = new Map<string, NonceState>()

  constructor(
    private readonly algorithm: DigestAlgorithm,
    private readonly credentials: { username: string; password: string },
    private readonly nonceTtlMs: number,
    private readonly now: () => Date,
    /** 'refuse': a nonce authenticates one request only (see EmulatorOptions.digestNonceReuse). */
    private readonly reuse: 'allow' | 'refuse' = 'allow'
  ) {}

  issueNonce(): string {
    const issuedAt = this.now().getTime()
    for (const [nonce, state] of this.nonces) {
      if (issuedAt - state.issuedAt > this.nonceTtlMs * 2) this.nonces.delete(nonce)
    }
    const nonce = randomBytes(24).toString('base64')
    this.nonces.set(nonce, { issuedAt, lastNc: 0 })
    return nonce
  }

  forgetNonce(nonce: string): void {
    this.nonces.delete(nonce)
  }

  verify(header: string, method: string, requestTarget: string): DigestVerdict {
    const p = parseDigestHeader(header)
    if (!p) return { ok: false, stale: false, reason: 'malformed Digest header' }
    const algorithm = p.algorithm ?? 'MD5'
    if (algorithm.toUpperCase() !== this.algorithm) {
      return { ok: false, stale: false, reason: `algorithm ${algorithm} was not challenged` }
    }
    if (p.realm !== DIGEST_REALM) return { ok: false, stale: false, reason: 'wrong realm' }
    if (p.uri !== requestTarget) return { ok: false, stale: false, reason: 'uri does not match' }
    if (p.qop !== 'auth') return { ok: false, stale: false, reason: 'qop must be auth' }
    if (!p.cnonce) return { ok: false, stale: false, reason: 'cnonce missing' }
    if (!p.nc || !/^[0-9a-fA-F]{8}$/.test(p.nc)) {
      return { ok: false, stale: false, reason: 'nc must be 8 hex digits' }
    }
    if (!p.nonce || !p.response || p.userhash === 'true') {
      return { ok: false, stale: false, reason: 'nonce or response missing' }
    }
    if (p.username !== this.credentials.username) {
      return { ok: false, stale: false, reason: 'unknown username' }
    }
    const expected = computeDigestResponse({
      algorithm: this.algorithm,
      username: this.credentials.username,
      realm: DIGEST_REALM,
      password: this.credentials.password,
      method,
      uri: p.uri,
      nonce: p.nonce,
      nc: p.nc,
      cnonce: p.cnonce,
      qop: p.qop
    })
    if (!sameText(expected, p.response.toLowerCase())) {
      return { ok: false, stale: false, reason: 'wrong response (bad credentials)' }
    }
    // The hash is right: a nonce we no longer hold (expired, forgotten) only needs a fresh one.
    const state = this.nonces.get(p.nonce)
    if (!state || this.now().getTime() - state.issuedAt > this.nonceTtlMs) {
      return { ok: false, stale: true, reason: 'nonce expired' }
    }
    // Refused reuse is not "stale": the client must take the fresh challenge as a new one.
    if (this.reuse === 'refuse' && state.lastNc > 0) {
      return { ok: false, stale: false, reason: 'nonce already used' }
    }
    const nc = parseInt(p.nc, 16)
    if (nc <= state.lastNc) return { ok: false, stale: false, reason: 'nc replayed' }
    state.lastNc = nc
    return { ok: true }
  }
}

function sameText(a: string, b: string): boolean {
  const left = Buffer.from(a)
  const right = Buffer.from(b)
  return left.length === right.length && timingSafeEqual(left, right)
}
