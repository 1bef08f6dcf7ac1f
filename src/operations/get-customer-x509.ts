import { distinguishedName } from '../certificate/pem.js'
import { customerCas, earliestExpiry, parseCertificates } from '../customer-ca.js'
import { parseExpiryWarningDays } from '../inputs/inputs.js'
import type { Operation, OperationContext } from './operation.js'
import { warnAboutExpiry } from './expiry.js'

function caOutputs(
  ctx: OperationContext,
  enabled: boolean,
  pem: string,
  count: number,
  expiresAt: string
): void {
  ctx.io.setOutput('customer-x509-enabled', String(enabled))
  ctx.io.setOutput('ca-certificates', pem)
  ctx.io.setOutput('ca-count', String(count))
  ctx.io.setOutput('ca-expires-at', expiresAt)
}

/** GET …/userSecurity: is customer-managed X.509 on, with which CAs, expiring when. */
export const getCustomerX509: Operation<{ expiryWarningDays: number }> = {
  name: 'get-customer-x509',
  parse: read => ({ expiryWarningDays: parseExpiryWarningDays(read) }),
  async run({ expiryWarningDays }, ctx) {
    const { groupId, io } = ctx
    const pem = customerCas(await ctx.api.getUserSecurity(groupId))
    if (!pem) {
      io.info(`Customer-managed X.509 is off for project ${groupId}.`)
      caOutputs(ctx, false, '', 0, '')
      await io.summary('Atlas customer-managed X.509', [
        ['Operation', 'get-customer-x509'],
        ['Project', groupId],
        ['Customer X.509', 'off']
      ])
      return
    }
    let certificates
    try {
      certificates = parseCertificates(pem)
    } catch (error) {
      throw new Error(
        `Atlas holds a CA bundle for project ${groupId} that does not parse: ${(error as Error).message}`,
        { cause: error }
      )
    }
    const expiresAt = earliestExpiry(certificates)
    io.info(
      `Customer-managed X.509 is on for project ${groupId}: ${certificates.length} CA certificate(s), the first expiring at ${expiresAt}.`
    )
    caOutputs(ctx, true, pem, certificates.length, expiresAt)
    warnAboutExpiry(
      ctx,
      certificates.map(c => ({
        name: `CA ${distinguishedName(c.subject)}`,
        notAfter: new Date(c.validTo).toISOString()
      })),
      expiryWarningDays,
      `project ${groupId}: upload a new CA with set-customer-x509 before then, or certificate users cannot connect`
    )
    await io.summary('Atlas customer-managed X.509', [
      ['Operation', 'get-customer-x509'],
      ['Project', groupId],
      ['Customer X.509', 'on'],
      ...certificates.map((c, i): [string, string] => [
        `CA ${i + 1}`,
        `${distinguishedName(c.subject)}, expires ${new Date(c.validTo).toISOString()}`
      ])
    ])
  }
}
