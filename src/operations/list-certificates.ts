import { atlasPath } from '../atlas/client.js'
import { listAll } from '../atlas/paginate.js'
import type { OperationContext } from './context.js'
import { daysUntil, warnAboutExpiry } from './expiry.js'

/** One certificate of the list, as the `certificates` output carries it. */
export interface CertificateSummary {
  id: string
  subject: string
  createdAt: string
  notAfter: string
}

interface UserCert {
  _id?: string
  subject?: string
  createdAt?: string
  notAfter?: string
}

/**
 * JSON.parse, with every numeric `_id` turned into a string first: Atlas's ids are int64 values
 * above 2^53 that a JavaScript number would round.
 */
export function parseWithExactIds(text: string): unknown {
  return JSON.parse(text.replace(/("_id"\s*:\s*)(-?\d+)/g, '$1"$2"'))
}

const iso = (value: string | undefined) => {
  const time = Date.parse(value ?? '')
  return Number.isFinite(time) ? new Date(time).toISOString() : (value ?? '')
}

/** Every unexpired certificate of a user, sorted by expiry, with warnings for those that end soon. */
export async function listCertificates(
  groupId: string,
  username: string,
  expiryWarningDays: number,
  ctx: OperationContext
): Promise<void> {
  const records = await listAll<UserCert>(
    ctx.client,
    atlasPath`/groups/${groupId}/databaseUsers/${username}/certs`,
    parseWithExactIds
  )
  const certificates: CertificateSummary[] = records
    .map(record => ({
      id: String(record._id ?? ''),
      subject: record.subject ?? '',
      createdAt: iso(record.createdAt),
      notAfter: iso(record.notAfter)
    }))
    .sort((a, b) => Date.parse(a.notAfter) - Date.parse(b.notAfter))

  ctx.io.setOutput('certificates', JSON.stringify(certificates))
  ctx.io.setOutput('count', String(certificates.length))
  ctx.io.setOutput('next-expiry', certificates[0]?.notAfter ?? '')
  ctx.io.setOutput('latest-expiry', certificates.at(-1)?.notAfter ?? '')
  ctx.io.info(
    certificates.length === 0
      ? `${username} has no unexpired certificates.`
      : `${username} has ${certificates.length} unexpired certificate(s); the next expires at ${certificates[0]!.notAfter}, the latest at ${certificates.at(-1)!.notAfter}.`
  )
  const soon = warnAboutExpiry(
    ctx,
    certificates.map(c => ({ name: `Certificate ${c.id} of ${username}`, notAfter: c.notAfter })),
    expiryWarningDays,
    'issue a new one with create-certificate before then'
  )
  const now = ctx.clock.now()
  await ctx.io.summary(`Atlas X.509 certificates of ${username}`, [
    ['Operation', 'list-certificates'],
    ['Project', groupId],
    ['User', username],
    ['Unexpired certificates', String(certificates.length)],
    [`Expiring within ${expiryWarningDays} days`, String(soon)],
    ...certificates.map((c): [string, string] => [
      c.id,
      `${c.subject}, expires ${c.notAfter} (${daysUntil(c.notAfter, now)} days)`
    ])
  ])
}
