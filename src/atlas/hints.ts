const CREDENTIALS_HINT =
  'Check the credentials: for a service account, `client-id`/`client-secret`; for an API key, `public-key`/`private-key`. They must belong to the organisation that owns the project.'
const ACCESS_LIST_HINT =
  "Check that the API key or service account has the role this operation needs on the project (Project Owner for certificates and customer X.509; see the README's setup guide), and that its API access list admits the runner. GitHub-hosted runners change addresses on every job, so an entry per runner is not the fix: use a runner with a static egress IP (larger runners, self-hosted), or manage the access list from the workflow."
const TOKEN_LIMIT_HINT =
  "The service account has too many active access tokens (Atlas allows 100). This action revokes its own in the post step; other tools' tokens expire within an hour. Wait, revoke unused tokens, or give each pipeline its own service account."
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
  CANNOT_GENERATE_CERT_IF_ADVANCED_X509:
    'The project uses customer-managed (self-managed) X.509, and Atlas then refuses to issue managed certificates: give `issuer-certificate` and `issuer-key` (your CA, from secrets) to sign the certificate on the runner for a CUSTOMER user, or turn customer X.509 off with `disable-customer-x509` (that restarts every cluster).',
  access_denied: TOKEN_LIMIT_HINT,
  invalid_client: CREDENTIALS_HINT,
  unauthorized_client: CREDENTIALS_HINT
}

/** The hint for an Atlas error: by code first, then by HTTP status class. */
export function hintFor(errorCode: string, status: number): string {
  // Own keys only: a code such as `constructor` must not find Object's.
  if (Object.hasOwn(HINTS, errorCode)) return HINTS[errorCode]!
  if (status === 401) return CREDENTIALS_HINT
  if (status === 403) return ACCESS_LIST_HINT
  if (status === 429) return RATE_HINT
  if (status >= 500)
    return 'Atlas had a server error and the retries ran out: run the job again later, and check https://status.mongodb.com.'
  return ''
}
