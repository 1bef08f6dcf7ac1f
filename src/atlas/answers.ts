/**
 * Reading Atlas's answers that are not 2xx: which error each one is. Error bodies may be large or
 * hostile, so only what looks like an Atlas or OAuth error document is read.
 */
import { AtlasApiError, AtlasUnreachableError } from './errors.js'
import { header, type HttpResponse } from './http.js'

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  406: 'Not Acceptable',
  409: 'Conflict',
  410: 'Gone',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout'
}

function isJsonContentType(contentType: string | undefined): boolean {
  return contentType !== undefined && /[/+]json\b/i.test(contentType)
}

/**
 * Reads an error body. Returns undefined when the body is not an Atlas or OAuth error document
 * (an HTML page from a proxy, say): such a body is never echoed, it may be large or hostile.
 */
export function decodeApiError(
  status: number,
  contentType: string | undefined,
  body: string,
  retryAfterMs?: number
): AtlasApiError | undefined {
  if (!isJsonContentType(contentType) && !body.trimStart().startsWith('{')) return undefined
  let parsed: unknown
  try {
    parsed = JSON.parse(body)
  } catch {
    return undefined
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined
  const doc = parsed as Record<string, unknown>
  const text = (value: unknown): string | undefined =>
    typeof value === 'string' && value.length > 0 ? value.slice(0, 1000) : undefined
  // Codes become annotation titles and pick hints: only code-like strings are taken as codes.
  const code = (value: unknown): value is string =>
    typeof value === 'string' && /^[A-Za-z0-9_.-]{1,100}$/.test(value)
  // Atlas ApiError: {error: <int status>, errorCode, detail, reason}
  if (code(doc.errorCode)) {
    const detail = text(doc.detail) ?? text(doc.reason) ?? REASONS[status] ?? 'No detail given.'
    return new AtlasApiError(status, doc.errorCode, detail, retryAfterMs)
  }
  // OAuth 2.0 token endpoint (RFC 6749 §5.2): {error: "invalid_client", error_description}
  if (code(doc.error)) {
    const detail = text(doc.error_description) ?? REASONS[status] ?? 'No detail given.'
    return new AtlasApiError(status, doc.error, detail, retryAfterMs)
  }
  if (
    typeof doc.error === 'number' ||
    typeof doc.error === 'string' ||
    typeof doc.errorCode === 'string' ||
    text(doc.detail) ||
    text(doc.reason)
  ) {
    const detail = text(doc.detail) ?? text(doc.reason) ?? REASONS[status] ?? 'No detail given.'
    return new AtlasApiError(status, `HTTP_${status}`, detail, retryAfterMs)
  }
  return undefined
}

/** `USERNAME_NOT_FOUND (HTTP 404)`, or `HTTP 502` when the answer is not an Atlas error. */
export function describeAnswer(response: HttpResponse): string {
  const decoded = decodeApiError(
    response.status,
    header(response.headers, 'content-type'),
    response.text
  )
  return decoded ? `${decoded.errorCode} (HTTP ${response.status})` : `HTTP ${response.status}`
}

/** The error for a final answer that is not 2xx. */
export function errorForAnswer(response: HttpResponse, baseUrl: string): Error {
  if (response.status >= 300 && response.status < 400) {
    const location = header(response.headers, 'location')
    let host = 'an unnamed location'
    try {
      if (location) host = new URL(location, baseUrl).host
    } catch {
      host = 'an invalid location'
    }
    return new AtlasUnreachableError(
      `Atlas answered HTTP ${response.status}, a redirect to ${host}. Redirects are not followed, so credentials never leave the configured base-url: check base-url and any proxy.`
    )
  }
  const contentType = header(response.headers, 'content-type')
  const decoded = decodeApiError(response.status, contentType, response.text)
  if (decoded) return decoded
  if (response.status === 401 && response.headers['www-authenticate']) {
    return new AtlasApiError(401, 'UNAUTHORIZED', 'Atlas refused the credentials.')
  }
  const kind = contentType ? contentType.split(';')[0] : 'untyped'
  return new AtlasUnreachableError(
    `HTTP ${response.status} with a ${kind} body that is not an Atlas answer (a proxy or load balancer in between?).`
  )
}
