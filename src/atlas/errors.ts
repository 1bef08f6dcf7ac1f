import { TitledError } from '../errors.js'
import { hintFor } from './hints.js'

/** Atlas answered with an error (an `ApiError` body, or an OAuth error from the token endpoint). */
export class AtlasApiError extends TitledError {
  constructor(
    readonly status: number,
    readonly errorCode: string,
    readonly detail: string,
    readonly retryAfterMs?: number
  ) {
    super(`Atlas ${errorCode} (HTTP ${status})`, `Atlas ${errorCode} (HTTP ${status}): ${detail}`)
    this.name = 'AtlasApiError'
  }

  /** The detail, then what to do about this code or status. */
  override get annotation(): string {
    const hint = hintFor(this.errorCode, this.status)
    return hint ? `${this.detail} ${hint}` : this.detail
  }
}

/** No usable answer from Atlas: network failure, timeout, a body that is not Atlas's, a redirect. */
export class AtlasUnreachableError extends TitledError {
  constructor(message: string, options?: ErrorOptions, title = 'Atlas API unreachable') {
    super(title, message, options)
    this.name = 'AtlasUnreachableError'
  }
}

/** The request may or may not have taken effect, and was deliberately not sent again. */
export class OutcomeUnknownError extends AtlasUnreachableError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options, 'Atlas outcome unknown')
    this.name = 'OutcomeUnknownError'
  }
}

/** The HTTPS proxy refused to open a tunnel to Atlas (its answer to CONNECT was not 200). */
export class ProxyRefusedError extends AtlasUnreachableError {
  constructor(readonly proxyStatus: number) {
    super(
      `The proxy refused to open a tunnel to Atlas: it answered CONNECT with HTTP ${proxyStatus}${proxyStatus === 407 ? ' (Proxy Authentication Required: put the proxy credentials in HTTPS_PROXY as http://user:password@host:port)' : ''}. Check HTTPS_PROXY/HTTP_PROXY, and NO_PROXY if Atlas should be reached directly. Not retried.`
    )
    this.name = 'ProxyRefusedError'
  }
}

/** Atlas answered, but not in a way this action can use (an unsupported Digest challenge, say). */
export class AtlasProtocolError extends TitledError {
  constructor(message: string) {
    super('Unexpected answer from Atlas', message)
    this.name = 'AtlasProtocolError'
  }
}
