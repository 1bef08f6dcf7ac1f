import { randomBytes } from 'node:crypto'

/** Service-account access tokens: 1 hour, not refreshable (Atlas "Generate Service Account Token"). */
export const TOKEN_LIFETIME_SECONDS = 3600

export interface ClientCredentials {
  clientId: string
  clientSecret: string
}

/** Decodes `Basic base64(urlencode(id):urlencode(secret))` (RFC 6749 §2.3.1). */
export function parseBasicClient(header: string | undefined): ClientCredentials | null {
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? '')
  if (!match?.[1]) return null
  const decoded = Buffer.from(match[1], 'base64').toString('utf8')
  const colon = decoded.indexOf(':')
  if (colon < 0) return null
  try {
    return {
      clientId: formDecode(decoded.slice(0, colon)),
      clientSecret: formDecode(decoded.slice(colon + 1))
    }
  } catch {
    return null
  }
}

function formDecode(text: string): string {
  return decodeURIComponent(text.replace(/\+/g, ' '))
}

/** Atlas: at most 100 active access tokens per service account (then 403 access_denied). */
export const MAX_ACTIVE_TOKENS = 100

export class TokenStore {
  private readonly expiries = new Map<string, number>()

  constructor(
    private readonly now: () => Date,
    private readonly onIssue: (token: string) => void = () => {},
    readonly maxActive = MAX_ACTIVE_TOKENS
  ) {}

  /** Tokens neither expired nor revoked (the emulator has one service account). */
  activeCount(): number {
    const nowMs = this.now().getTime()
    let active = 0
    for (const expiry of this.expiries.values()) if (nowMs < expiry) active += 1
    return active
  }

  /** A new token, or null when the service account already holds maxActive active ones. */
  issue(): { token: string; expiresIn: number } | null {
    if (this.activeCount() >= this.maxActive) return null
    const token = randomBytes(32).toString('base64url')
    this.expiries.set(token, this.now().getTime() + TOKEN_LIFETIME_SECONDS * 1000)
    this.onIssue(token)
    return { token, expiresIn: TOKEN_LIFETIME_SECONDS }
  }

  isValid(token: string): boolean {
    const expiry = this.expiries.get(token)
    return expiry !== undefined && this.now().getTime() < expiry
  }

  revoke(token: string): void {
    this.expiries.delete(token)
  }
}
