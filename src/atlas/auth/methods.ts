import { DigestSigner, parseDigestChallenge } from './digest.js'
import type { TokenSource } from './oauth.js'

/** The two kinds of Atlas credentials. */
export type Credentials =
  | { kind: 'service-account'; clientId: string; clientSecret: string }
  | { kind: 'api-key'; publicKey: string; privateKey: string }

/** How one kind of Atlas credential signs requests. One implementation per auth method. */
export interface AuthMethod {
  /** The Authorization header for this request (may fetch a token first), if any yet. */
  authorize(method: string, uri: string): Promise<string | undefined>
  /** After a 401: true when the answer carried what is needed to send the request again. */
  acceptUnauthorized(
    wwwAuthenticate: string | string[] | undefined,
    sentAuthorization: boolean
  ): boolean
}

/** Programmatic API key: HTTP Digest (RFC 7616), MD5 or SHA-256 as the server's challenge says. */
export class DigestAuth implements AuthMethod {
  private readonly signer: DigestSigner

  constructor(publicKey: string, privateKey: string, newCnonce?: () => string) {
    this.signer = new DigestSigner(publicKey, privateKey, newCnonce)
  }

  // async although nothing is awaited: the interface is a promise (a token may be fetched), and a
  // challenge the signer refuses must reach the caller as a rejection, not a synchronous throw.
  // eslint-disable-next-line @typescript-eslint/require-await
  async authorize(method: string, uri: string): Promise<string | undefined> {
    return this.signer.authorization(method, uri)
  }

  acceptUnauthorized(
    wwwAuthenticate: string | string[] | undefined,
    sentAuthorization: boolean
  ): boolean {
    const challenge = parseDigestChallenge(wwwAuthenticate)
    if (!challenge) return false
    // First contact, a stale nonce, or a refused reuse of a nonce (servers need not accept one,
    // stale flag or not): take the new challenge. A fresh nonce refused means the key is wrong.
    if (!sentAuthorization || challenge.stale || this.signer.reusedNonce) {
      this.signer.accept(challenge)
      return true
    }
    return false
  }
}

/** Service account: a Bearer token from its token source, the same one for every request. */
export class BearerAuth implements AuthMethod {
  constructor(private readonly tokens: TokenSource) {}

  async authorize(): Promise<string> {
    return `Bearer ${await this.tokens.token()}`
  }

  acceptUnauthorized(): boolean {
    return false
  }
}
