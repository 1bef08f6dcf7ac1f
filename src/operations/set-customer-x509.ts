import type { X509Certificate } from 'node:crypto'
import {
  CaBundleError,
  checkCaBundle,
  customerCas,
  earliestExpiry,
  heldCertificates,
  normalisedPem,
  parseCaSource,
  sameCertificates,
  type CaSource
} from '../customer-ca.js'
import { InputError } from '../inputs/inputs.js'
import type { Operation, StepContext } from './operation.js'
import { daysUntil } from './expiry.js'
import { sendOnceConfirmed } from './customer-x509-write.js'

async function readCaSource(
  source: CaSource,
  ctx: StepContext
): Promise<{ pem: string; input: string }> {
  if (source.kind === 'text') return { pem: source.pem, input: 'ca-certificates' }
  try {
    return { pem: await ctx.fs.readFile(source.path), input: 'ca-file' }
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message
    throw new InputError(
      'ca-file',
      `Cannot read ${source.path} (${code}). A relative path is read from the workspace: check that the file is committed and that actions/checkout ran before this step.`
    )
  }
}

/** The bundle given, checked as a CA bundle; what is wrong with it is an error of its input. */
function checkedBundle(pem: string, input: string, now: number): X509Certificate[] {
  try {
    return checkCaBundle(pem, now)
  } catch (error) {
    if (error instanceof CaBundleError) {
      throw new InputError(
        input,
        `${error.message} Accepted: one or more PEM CA certificates (basic constraints CA:TRUE), not expired.`
      )
    }
    throw error
  }
}

/** The summary rows after an upload, or after finding the same certificates already there. */
export function uploadSummaryRows(
  unchanged: boolean,
  count: number,
  expiresAt: string,
  now: number
): Array<[string, string]> {
  return [
    [
      'Result',
      unchanged ? 'unchanged (no request sent, no restart)' : 'uploaded (rolling restart started)'
    ],
    ['CA certificates', String(count)],
    ['Earliest expiry', `${expiresAt} (${daysUntil(expiresAt, now)} days)`]
  ]
}

/**
 * Uploads the project's CA bundle. Checked locally first (each block a CA certificate, none
 * expired), then compared with what Atlas holds: the PATCH restarts every cluster of the project,
 * so it is sent only when the certificates differ, and never twice.
 */
export const setCustomerX509: Operation<{ ca: CaSource }> = {
  name: 'set-customer-x509',
  parse: read => ({ ca: parseCaSource(read) }),
  async run({ ca }, ctx) {
    const { api, groupId, io } = ctx
    const { pem: given, input } = await readCaSource(ca, ctx)
    const certificates = checkedBundle(given, input, ctx.clock.now())
    const expiresAt = earliestExpiry(certificates)

    const current = customerCas(await api.getUserSecurity(groupId))
    const currentCertificates = heldCertificates(current)
    const unchanged =
      currentCertificates !== undefined && sameCertificates(currentCertificates, certificates)
    if (unchanged) {
      io.info(
        `Project ${groupId} already has these ${certificates.length} CA certificate(s): nothing was sent, nothing restarts.`
      )
    } else {
      const pem = normalisedPem(certificates)
      await sendOnceConfirmed(
        { method: 'PATCH', certificates },
        () => api.setCustomerCas(groupId, pem),
        ctx
      )
      io.warning(
        `Customer-managed X.509 CA ${current ? 'replaced' : 'set'} for project ${groupId} (${certificates.length} certificate(s)). Atlas is doing a rolling restart of every cluster in the project.`,
        'Rolling restart of the project clusters'
      )
    }
    io.setOutput('customer-x509-enabled', 'true')
    io.setOutput('ca-count', String(certificates.length))
    io.setOutput('ca-expires-at', expiresAt)
    await ctx.summary(
      'Atlas customer-managed X.509',
      uploadSummaryRows(unchanged, certificates.length, expiresAt, ctx.clock.now())
    )
  }
}
