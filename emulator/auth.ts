import { DigestVerifier, challengeHeader, parseDigestHeader } from './digest.js'
import { sendApiError, type Exchange } from './exchange.js'
import { ApiFailure } from './json.js'
import type { TokenStore } from './oauth.js'
import type { AuthKind, DigestAlgorithm } from './types.js'

const UNAUTHORIZED_CODE = 'USER_UNAUTHORIZED'
const UNAUTHORIZED_DETAIL = 'You are not authorized for this resource.'

/** Authenticates /api/atlas requests: HTTP Digest (API keys) or Bearer (service account token). */
export class Authenticator {
  constructor(
    private readonly digest: DigestVerifier,
    private readonly tokens: TokenStore,
    private readonly algorithm: DigestAlgorithm
  ) {}

  /** The kind that authenticated the request, or null after answering 401 with a challenge. */
  authenticate(ex: Exchange): AuthKind | null {
    const header = ex.req.headers.authorization ?? ''
    if (/^Bearer\s/i.test(header)) {
      if (this.tokens.isValid(header.replace(/^Bearer\s+/i, '').trim())) return 'bearer'
      this.challenge(ex, false)
      return null
    }
    if (/^Digest\s/i.test(header)) {
      const verdict = this.digest.verify(header, ex.method, ex.target)
      if (verdict.ok) return 'digest'
      this.challenge(ex, verdict.stale)
      return null
    }
    this.challenge(ex, false)
    return null
  }

  /** 401 with a fresh nonce; stale=true tells the client only the nonce was wrong. */
  challenge(ex: Exchange, stale: boolean): void {
    const nonce = this.digest.issueNonce()
    sendApiError(
      ex,
      new ApiFailure(401, UNAUTHORIZED_CODE, UNAUTHORIZED_DETAIL, [], {
        'WWW-Authenticate': challengeHeader(this.algorithm, nonce, stale)
      })
    )
  }

  /** For the stale-nonce fault: retire the nonce the client used, then challenge with stale=true. */
  staleChallenge(ex: Exchange): void {
    const nonce = parseDigestHeader(ex.req.headers.authorization ?? '')?.nonce
    if (nonce) this.digest.forgetNonce(nonce)
    this.challenge(ex, true)
  }
}
