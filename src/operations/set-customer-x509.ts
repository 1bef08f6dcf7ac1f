import type { X509Certificate } from 'node:crypto'
import { OutcomeUnknownError } from '../atlas/errors.js'
import {
  CaBundleError,
  checkCaBundle,
  customerCas,
  earliestExpiry,
  normalisedPem,
  parseCaSource,
  parseCertificates,
  sameCertificates,
  type CaSource
} from '../customer-ca.js'
import { InputError } from '../inputs/inputs.js'
import type { Operation, OperationContext } from './operation.js'
import { daysUntil } from './expiry.js'

async function readCaSource(
  source: CaSource,
  ctx: OperationContext
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

/** The certificates Atlas holds, or undefined when none or when they do not parse. */
function heldCertificates(pem: string | undefined): X509Certificate[] | undefined {
  try {
    return pem ? parseCertificates(pem) : undefined
  } catch {
    return undefined // what Atlas holds does not parse: replace it
  }
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
    let certificates
    try {
      certificates = checkCaBundle(given, ctx.clock.now())
    } catch (error) {
      if (error instanceof CaBundleError) {
        throw new InputError(
          input,
          `${error.message} Accepted: one or more PEM CA certificates (basic constraints CA:TRUE), not expired.`
        )
      }
      throw error
    }
    const pem = normalisedPem(certificates)
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
      try {
        await api.setCustomerCas(groupId, pem)
      } catch (error) {
        if (!(error instanceof OutcomeUnknownError)) throw error
        // The answer was lost: what Atlas holds now says whether the PATCH took effect.
        const held = heldCertificates(customerCas(await api.getUserSecurity(groupId)))
        if (!held || !sameCertificates(held, certificates)) {
          throw new OutcomeUnknownError(
            `${error.message} Atlas holds ${held ? `${held.length} other CA certificate(s)` : 'no customer CA'} for project ${groupId}: the upload did not take effect. Run the step again to upload it.`
          )
        }
        io.info(
          `The PATCH's answer was lost, but Atlas now holds these CA certificates for project ${groupId}: it took effect.`
        )
      }
      io.warning(
        `Customer-managed X.509 CA ${current ? 'replaced' : 'set'} for project ${groupId} (${certificates.length} certificate(s)). Atlas is doing a rolling restart of every cluster in the project.`,
        'Rolling restart of the project clusters'
      )
    }
    io.setOutput('customer-x509-enabled', 'true')
    io.setOutput('ca-count', String(certificates.length))
    io.setOutput('ca-expires-at', expiresAt)
    const daysLeft = daysUntil(expiresAt, ctx.clock.now())
    await io.summary('Atlas customer-managed X.509', [
      ['Operation', 'set-customer-x509'],
      ['Project', groupId],
      [
        'Result',
        unchanged ? 'unchanged (no request sent, no restart)' : 'uploaded (rolling restart started)'
      ],
      ['CA certificates', String(certificates.length)],
      ['Earliest expiry', `${expiresAt} (${daysLeft} days)`]
    ])
  }
}
