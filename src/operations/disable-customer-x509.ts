import { OutcomeUnknownError } from '../atlas/errors.js'
import { customerCas } from '../customer-ca.js'
import type { Operation } from './operation.js'

const RESTART_TITLE = 'Rolling restart of the project clusters'

/**
 * Reads userSecurity first: DELETE …/customerX509 restarts every cluster of the project, so it is
 * sent only when a customer CA is actually set, and never twice.
 */
export const disableCustomerX509: Operation<Record<string, never>> = {
  name: 'disable-customer-x509',
  parse: () => ({}),
  async run(_config, ctx) {
    const { api, groupId, io } = ctx
    const wasEnabled = customerCas(await api.getUserSecurity(groupId)) !== undefined
    if (wasEnabled) {
      try {
        await api.disableCustomerX509(groupId)
      } catch (error) {
        if (!(error instanceof OutcomeUnknownError)) throw error
        // The answer was lost: what Atlas holds now says whether the DELETE took effect.
        if (customerCas(await api.getUserSecurity(groupId)) !== undefined) {
          throw new OutcomeUnknownError(
            `${error.message} Atlas still holds a customer CA for project ${groupId}: customer X.509 is on. Run the step again to disable it.`
          )
        }
        io.info(
          `The DELETE's answer was lost, but Atlas now holds no customer CA for project ${groupId}: it took effect.`
        )
      }
      io.warning(
        `Customer-managed X.509 is now off for project ${groupId}. Atlas removed the CA and is doing a rolling restart of every cluster in the project; users who authenticate with certificates from that CA can no longer connect.`,
        RESTART_TITLE
      )
    } else {
      io.info(
        `Customer-managed X.509 is already off for project ${groupId}: nothing was sent, nothing restarts.`
      )
    }
    io.setOutput('customer-x509-enabled', 'false')
    await io.summary('Atlas customer-managed X.509', [
      ['Operation', 'disable-customer-x509'],
      ['Project', groupId],
      [
        'Result',
        wasEnabled ? 'disabled (rolling restart started)' : 'already off (no request sent)'
      ]
    ])
  }
}
