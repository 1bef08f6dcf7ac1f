import { parseExpiryWarningDays, parseUsername } from '../inputs/inputs.js'
import type { Operation } from './operation.js'
import { daysUntil, warnAboutExpiry } from './expiry.js'

/** One certificate of the list, as the `certificates` output carries it. */
export interface CertificateSummary {
  id: string
  subject: string
  createdAt: string
  notAfter: string
}

const iso = (value: string | undefined) => {
  const time = Date.parse(value ?? '')
  return Number.isFinite(time) ? new Date(time).toISOString() : (value ?? '')
}

/** Every unexpired certificate of a user, sorted by expiry, with warnings for those that end soon. */
export const listCertificates: Operation<{ username: string; expiryWarningDays: number }> = {
  name: 'list-certificates',
  parse: read => ({
    username: parseUsername(read),
    expiryWarningDays: parseExpiryWarningDays(read)
  }),
  async run({ username, expiryWarningDays }, ctx) {
    const { groupId, io } = ctx
    const records = await ctx.api.listCertificates(groupId, username)
    const certificates: CertificateSummary[] = records
      .map(record => ({
        id: String(record._id ?? ''),
        subject: record.subject ?? '',
        createdAt: iso(record.createdAt),
        notAfter: iso(record.notAfter)
      }))
      .sort((a, b) => Date.parse(a.notAfter) - Date.parse(b.notAfter))

    io.setOutput('certificates', JSON.stringify(certificates))
    io.setOutput('count', String(certificates.length))
    io.setOutput('next-expiry', certificates[0]?.notAfter ?? '')
    io.setOutput('latest-expiry', certificates.at(-1)?.notAfter ?? '')
    io.info(
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
    await io.summary(`Atlas X.509 certificates of ${username}`, [
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
}
