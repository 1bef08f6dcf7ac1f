import type { Authenticator } from './auth.js'
import { sendApiError, sendBody, sendEmpty, type Exchange } from './exchange.js'
import { ApiFailure, reasonPhrase } from './json.js'
import type { FaultSpec } from './types.js'

const defaultErrorCodes: Record<number, string> = {
  400: 'VALIDATION_ERROR',
  401: 'USER_UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'RESOURCE_NOT_FOUND',
  409: 'CONFLICT',
  429: 'RATE_LIMITED',
  503: 'SERVICE_UNAVAILABLE'
}

function statusFailure(spec: FaultSpec): ApiFailure {
  const status = spec.status ?? 500
  const errorCode = spec.errorCode ?? defaultErrorCodes[status] ?? 'UNEXPECTED_ERROR'
  const detail =
    spec.detail ??
    (status === 429
      ? 'Resource api/atlas/v2 is limited to 100 requests every 1 minutes.'
      : status >= 500
        ? 'Unexpected error.'
        : reasonPhrase(status))
  const headers: Record<string, string> = {}
  // A 429 says when to come back (60 s unless the spec names a value; '' sends none, as Atlas
  // "may not always return response headers").
  const retryAfter = spec.retryAfter ?? (status === 429 ? '60' : undefined)
  if (retryAfter !== undefined && retryAfter !== '') headers['Retry-After'] = retryAfter
  if (status === 429) {
    headers['RateLimit-Limit'] = '100'
    headers['RateLimit-Remaining'] = '0'
  }
  return new ApiFailure(status, errorCode, detail, [], headers)
}

function htmlPage(status: number): string {
  const title = `${status} ${reasonPhrase(status)}`
  return (
    `<html>\r\n<head><title>${title}</title></head>\r\n<body>\r\n` +
    `<center><h1>${title}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n`
  )
}

/**
 * Plays a scripted fault. Returns true when the fault answered (or dropped) the request,
 * false when the request goes on to its handler ('delay' after waiting, 'corrupt-pem').
 */
export async function playFault(
  ex: Exchange,
  spec: FaultSpec,
  auth: Authenticator,
  sleep: (ms: number) => Promise<void>
): Promise<boolean> {
  ex.record.fault = spec.kind
  switch (spec.kind) {
    case 'status':
      sendApiError(ex, statusFailure(spec))
      return true
    case 'drop':
      ex.req.socket.destroy()
      return true
    case 'delay':
      await sleep(spec.delayMs ?? 1000)
      return ex.res.destroyed
    case 'html': {
      const status = spec.status ?? 502
      sendBody(ex, status, htmlPage(status), { 'Content-Type': 'text/html' })
      return true
    }
    case 'redirect':
      sendEmpty(ex, spec.status ?? 302, { Location: spec.location ?? '/' })
      return true
    case 'stale-nonce':
      auth.staleChallenge(ex)
      return true
    case 'body':
      sendBody(ex, spec.status ?? 200, spec.body ?? '', {
        'Content-Type': spec.contentType ?? 'application/json'
      })
      return true
    case 'corrupt-pem':
      return false
    case 'lose-answer':
      // The handler acts, but its answer never leaves: the connection drops instead.
      ex.res.end = (() => {
        ex.req.socket.destroy()
        return ex.res
      }) as typeof ex.res.end
      return false
  }
}
