import { issueClientCertificate } from '../ca.js'
import { ApiFailure, Int64, atlasDate } from '../json.js'
import { corruptPemBody } from './corruptPem.js'
import {
  invalidAttribute,
  readJsonBody,
  usernameNotFound,
  type Reply,
  type RouteContext
} from './context.js'
import { paginate } from './pagination.js'

const DEFAULT_MONTHS = 3
const MAX_MONTHS = 24

/** POST …/databaseUsers/{username}/certs: 201 with the raw PEM (certificate, then PKCS#8 key). */
export async function createCertificate(ctx: RouteContext): Promise<Reply> {
  const body = readJsonBody(ctx) ?? {}
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new ApiFailure(400, 'MALFORMED_JSON', 'Received JSON is malformed: expected an object.')
  }
  const username = ctx.params.username ?? ''
  const user = ctx.project.getUser('$external', username)
  if (!user) throw usernameNotFound(username)
  if (user.x509Type !== 'MANAGED') {
    throw new ApiFailure(
      400,
      'USER_NOT_MANAGED_X509',
      'The user does not have managed mode X509 enabled.'
    )
  }
  if (ctx.server.options.refuseManagedCertsWithCustomerCa && ctx.project.customerCas) {
    throw new ApiFailure(
      400,
      'CANNOT_GENERATE_CERT_IF_ADVANCED_X509',
      'The user cannot create managed X.509 certs if advanced mode is on.'
    )
  }
  const months = monthsUntilExpiration((body as Record<string, unknown>).monthsUntilExpiration)
  // X.509 validity has second precision: keep the record equal to the certificate.
  const now = new Date(Math.floor(ctx.now.getTime() / 1000) * 1000)
  const unexpired = ctx.project.certificates(username).filter(c => c.notAfter > now).length
  if (unexpired >= ctx.server.options.certLimitPerUser) {
    throw new ApiFailure(
      400,
      'ATLAS_GENERATED_CERTS_LIMIT_EXCEEDED',
      'The limit on generated certificates per user has been reached.'
    )
  }
  const notAfter = addCalendarMonths(now, months)
  const issued = await issueClientCertificate(
    ctx.server.managedCa,
    username,
    now,
    notAfter,
    ctx.server.options.keyAlgorithm,
    ctx.server.options.clientKeyPool
  )
  ctx.project.addCertificate(username, {
    id: ctx.server.certIds.take(),
    subject: `CN=${username}`,
    createdAt: now,
    notAfter,
    serialNumber: issued.serialNumber
  })
  const pem = issued.certPem + issued.keyPem
  const text = ctx.corruptPem ? await corruptPemBody(ctx.corruptPem, issued, ctx.server) : pem
  recordPrivateKeyLines(ctx, pem + text)
  return { status: 201, text }
}

/** Every base64 line of every private key block in a body we serve is a secret to scan for. */
function recordPrivateKeyLines(ctx: RouteContext, text: string): void {
  for (const block of text.matchAll(
    /-----BEGIN PRIVATE KEY-----\n([\s\S]*?)-----END PRIVATE KEY-----/g
  )) {
    for (const line of (block[1] ?? '').split('\n')) {
      if (line.trim() !== '') ctx.server.recordSecret(line.trim())
    }
  }
}

function monthsUntilExpiration(value: unknown): number {
  if (value === undefined) return DEFAULT_MONTHS
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    throw invalidAttribute('monthsUntilExpiration', 'must be an integer.')
  }
  if (value > MAX_MONTHS) {
    throw new ApiFailure(
      400,
      'CERT_EXPIRY_CANNOT_EXCEED_TWO_YEARS',
      'Atlas-generated X.509 certificates have a maximum expiration of 24 months.'
    )
  }
  if (value < 1) throw invalidAttribute('monthsUntilExpiration', 'must be at least 1.')
  return value
}

/** now + N calendar months, clamped to the month's last day (Jan 31 + 1 = Feb 28/29). */
export function addCalendarMonths(from: Date, months: number): Date {
  const result = new Date(from.getTime())
  const day = from.getUTCDate()
  result.setUTCDate(1)
  result.setUTCMonth(result.getUTCMonth() + months)
  const lastDay = new Date(
    Date.UTC(result.getUTCFullYear(), result.getUTCMonth() + 1, 0)
  ).getUTCDate()
  result.setUTCDate(Math.min(day, lastDay))
  return result
}

/** GET …/databaseUsers/{username}/certs: unexpired certs only, paginated. */
export function listCertificates(ctx: RouteContext): Reply {
  const username = ctx.params.username ?? ''
  if (!ctx.project.getUser('$external', username)) throw usernameNotFound(username)
  const unexpired = ctx.project.certificates(username).filter(c => c.notAfter > ctx.now)
  const page = paginate(ctx, unexpired)
  return {
    status: 200,
    json: {
      ...page,
      results: page.results.map(c => ({
        _id: new Int64(c.id),
        createdAt: atlasDate(c.createdAt),
        groupId: ctx.project.groupId,
        notAfter: atlasDate(c.notAfter),
        subject: c.subject
      }))
    }
  }
}
