import type { X509Certificate } from 'node:crypto'
import { OutcomeUnknownError } from '../atlas/errors.js'
import { customerCas, heldCertificates, sameCertificates } from '../customer-ca.js'
import type { StepContext } from './operation.js'

/**
 * A write to the project's userSecurity that restarts every cluster: the PATCH that uploads CA
 * certificates, or the DELETE that turns customer X.509 off. Either is sent once, never repeated.
 */
export type CustomerX509Write =
  { method: 'PATCH'; certificates: X509Certificate[] } | { method: 'DELETE' }

/** What Atlas's customer CA says about a write whose answer was lost, in words. */
export interface LostAnswerVerdict {
  tookEffect: boolean
  message: string
}

/**
 * Whether a write took effect, from the customer CA that Atlas holds now (`held`, undefined when
 * none): the PATCH did when Atlas holds its certificates, the DELETE when Atlas holds none.
 */
export function judgeLostAnswer(
  write: CustomerX509Write,
  held: string | undefined,
  groupId: string
): LostAnswerVerdict {
  if (write.method === 'DELETE') {
    return held === undefined
      ? {
          tookEffect: true,
          message: `The DELETE's answer was lost, but Atlas now holds no customer CA for project ${groupId}: it took effect.`
        }
      : {
          tookEffect: false,
          message: `Atlas still holds a customer CA for project ${groupId}: customer X.509 is on. Run the step again to disable it.`
        }
  }
  const certificates = heldCertificates(held)
  return certificates && sameCertificates(certificates, write.certificates)
    ? {
        tookEffect: true,
        message: `The PATCH's answer was lost, but Atlas now holds these CA certificates for project ${groupId}: it took effect.`
      }
    : {
        tookEffect: false,
        message: `Atlas holds ${certificates ? `${certificates.length} other CA certificate(s)` : 'no customer CA'} for project ${groupId}: the upload did not take effect. Run the step again to upload it.`
      }
}

/**
 * Sends the write once. When its answer is lost, what Atlas holds afterwards says whether it took
 * effect: if it did, the step goes on; if not, the error says so.
 */
export async function sendOnceConfirmed(
  write: CustomerX509Write,
  send: () => Promise<void>,
  ctx: StepContext
): Promise<void> {
  try {
    await send()
  } catch (error) {
    if (!(error instanceof OutcomeUnknownError)) throw error
    const held = customerCas(await ctx.api.getUserSecurity(ctx.groupId))
    const verdict = judgeLostAnswer(write, held, ctx.groupId)
    if (!verdict.tookEffect) throw new OutcomeUnknownError(`${error.message} ${verdict.message}`)
    ctx.io.info(verdict.message)
  }
}
