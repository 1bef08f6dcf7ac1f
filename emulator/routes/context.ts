import { ApiFailure } from '../json.js'
import type { CertificateAuthority } from '../ca.js'
import type { CertIdSequence, ProjectState } from '../state.js'
import type { CorruptPemVariant, EmulatorOptions } from '../types.js'

/** What a route handler sees of one authenticated, routed request. */
export interface RouteContext {
  project: ProjectState
  params: Record<string, string>
  query: URLSearchParams
  body: string
  contentType: string
  /** Scheme and host the client used, for absolute link hrefs. */
  baseUrl: string
  /** Raw pathname as received. */
  pathname: string
  now: Date
  /** The API version the Accept header resolved to (v2 only). */
  version?: string
  server: ServerResources
  /** Set by a 'corrupt-pem' fault: spoil the certs POST body this way. */
  corruptPem?: CorruptPemVariant
}

export interface ServerResources {
  managedCa: CertificateAuthority
  certIds: CertIdSequence
  options: Required<
    Pick<
      EmulatorOptions,
      | 'certLimitPerUser'
      | 'keyAlgorithm'
      | 'clientKeyPool'
      | 'maxPageSize'
      | 'applyDelayMs'
      | 'refuseManagedCertsWithCustomerCa'
      | 'rateLimitCapacity'
      | 'accessListActivationMs'
    >
  >
  /** Remembers a secret handed to a client (see Emulator.servedSecrets). */
  recordSecret(secret: string): void
}

/** A handler's answer: JSON (serialized by the server), raw text, or nothing (204). */
export type Reply =
  { status: number; json: unknown } | { status: number; text: string } | { status: number }

export type Handler = (ctx: RouteContext) => Promise<Reply> | Reply

const jsonMediaType = /^application\/(json|vnd\.atlas\.[0-9a-z-]+\+json)\s*(;|$)/i

/** Parses the JSON request body; undefined when there is none. */
export function readJsonBody(ctx: RouteContext): unknown {
  if (ctx.body.trim() === '') return undefined
  if (!jsonMediaType.test(ctx.contentType)) {
    throw new ApiFailure(
      415,
      'UNSUPPORTED_MEDIA_TYPE',
      `Unsupported Content-Type ${ctx.contentType || '(none)'}; send application/json.`
    )
  }
  try {
    return JSON.parse(ctx.body) as unknown
  } catch {
    throw new ApiFailure(400, 'MALFORMED_JSON', 'Received JSON is malformed.')
  }
}

export function requireJsonObject(ctx: RouteContext): Record<string, unknown> {
  const body = readJsonBody(ctx)
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new ApiFailure(400, 'MALFORMED_JSON', 'Received JSON is malformed: expected an object.')
  }
  return body as Record<string, unknown>
}

export function invalidAttribute(name: string, why: string): ApiFailure {
  return new ApiFailure(400, 'INVALID_ATTRIBUTE', `Invalid attribute ${name} specified: ${why}`, [
    name
  ])
}

export function usernameNotFound(username: string): ApiFailure {
  return new ApiFailure(404, 'USERNAME_NOT_FOUND', `No user with username ${username} exists.`, [
    username
  ])
}

export function groupApiUrl(ctx: RouteContext, suffix = ''): string {
  return `${ctx.baseUrl}/api/atlas/v2/groups/${ctx.project.groupId}${suffix}`
}
