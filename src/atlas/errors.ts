/** Atlas answered with an error (an `ApiError` body, or an OAuth error from the token endpoint). */
export class AtlasApiError extends Error {
  constructor(
    readonly status: number,
    readonly errorCode: string,
    readonly detail: string,
    readonly retryAfterMs?: number
  ) {
    super(`Atlas ${errorCode} (HTTP ${status}): ${detail}`)
    this.name = 'AtlasApiError'
  }
}

/** No usable answer from Atlas: network failure, timeout, a body that is not Atlas's, a redirect. */
export class AtlasUnreachableError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'AtlasUnreachableError'
  }
}

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
  // Atlas ApiError: {error: <int status>, errorCode, detail, reason}
  if (typeof doc.errorCode === 'string') {
    const detail = text(doc.detail) ?? text(doc.reason) ?? REASONS[status] ?? 'No detail given.'
    return new AtlasApiError(status, doc.errorCode, detail, retryAfterMs)
  }
  // OAuth 2.0 token endpoint (RFC 6749 §5.2): {error: "invalid_client", error_description}
  if (typeof doc.error === 'string') {
    const detail = text(doc.error_description) ?? REASONS[status] ?? 'No detail given.'
    return new AtlasApiError(status, doc.error, detail, retryAfterMs)
  }
  if (typeof doc.error === 'number' || text(doc.detail) || text(doc.reason)) {
    const detail = text(doc.detail) ?? text(doc.reason) ?? REASONS[status] ?? 'No detail given.'
    return new AtlasApiError(status, `HTTP_${status}`, detail, retryAfterMs)
  }
  return undefined
}

const CREDENTIALS_HINT =
  'Check the credentials: for a service account, `client-id`/`client-secret`; for an API key, `public-key`/`private-key`. They must belong to the organisation that owns the project.'
const ACCESS_LIST_HINT =
  "If the credentials are right, add the runner's IP address to the API access list of the API key or service account, and check that it has the Project Owner role on this project."
const RATE_HINT =
  'Atlas rate-limited the request and the retries ran out: raise `max-retries` or `timeout-seconds`, or run fewer jobs against this project at once.'

/** What to do about an Atlas error code users meet. Short, specific, actionable. */
export const HINTS: Readonly<Record<string, string>> = {
  USERNAME_NOT_FOUND:
    'Create the database user first (databaseName `$external`, x509Type `MANAGED`), or check `username` and `group-id`.',
  USER_NOT_MANAGED_X509:
    'The user exists but is not an Atlas-managed X.509 user: Atlas issues certificates only for users with x509Type `MANAGED` in `$external`.',
  CERT_EXPIRY_CANNOT_EXCEED_TWO_YEARS: 'Set `months` to a whole number from 1 to 24.',
  ATLAS_GENERATED_CERTS_LIMIT_EXCEEDED:
    'This user has reached the limit of Atlas-generated certificates. Issue certificates less often (reuse one per workflow), or use a new user, for example with `create-ephemeral-user`.',
  RATE_LIMITED: RATE_HINT,
  RATE_LIMITED_TOKEN_BUCKET: RATE_HINT,
  GROUP_NOT_FOUND:
    'Check `group-id`: it is the 24-hex-digit project id shown in the Atlas project settings.',
  INVALID_GROUP_ID:
    'Check `group-id`: it is the 24-hex-digit project id shown in the Atlas project settings.',
  NOT_IN_GROUP:
    'The credentials have no access to this project: check `group-id`, or give the API key or service account a role on the project.',
  USER_UNAUTHORIZED: `${CREDENTIALS_HINT} If they are right, give the API key or service account the Project Owner role on this project.`,
  VERSION_GONE:
    'Atlas retired API version 2023-01-01 that this action pins: update the action to a newer release.',
  EXPIRED_X509_CA_CERTIFICATE:
    'The CA certificate has expired: upload a CA that is still valid (check its notAfter with `openssl x509 -enddate`).',
  USER_ALREADY_EXISTS:
    'A database user with this name already exists: choose another `username` or delete the user first.',
  GROUP_USERS_LIMIT_EXCEEDED:
    'The project has reached its database-user limit: remove unused users, for example with `prune-ephemeral-users`.',
  ATLAS_X509_USER_CANNOT_BE_TEMPORARY:
    'X.509 users cannot have a deleteAfterDate; this action deletes ephemeral users in its post step instead.',
  ATLAS_MANAGED_X509_NAME_INVALID:
    'Use a plain user name (letters, digits, `-`, `_`) without `=` or `,`: Atlas makes the subject `CN=<username>` itself.',
  invalid_client: CREDENTIALS_HINT,
  unauthorized_client: CREDENTIALS_HINT
}

/** The hint for an Atlas error: by code first, then by HTTP status class. */
export function hintFor(error: AtlasApiError): string {
  const byCode = HINTS[error.errorCode]
  if (byCode) return byCode
  if (error.status === 401) return CREDENTIALS_HINT
  if (error.status === 403) return ACCESS_LIST_HINT
  if (error.status === 429) return RATE_HINT
  if (error.status >= 500)
    return 'Atlas had a server error and the retries ran out: run the job again later, and check https://status.mongodb.com.'
  return ''
}
