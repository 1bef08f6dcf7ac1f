import { customerCas } from '../customer-ca.js'
import { sendOnceConfirmed } from './customer-x509-write.js'
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
      await sendOnceConfirmed({ method: 'DELETE' }, () => api.disableCustomerX509(groupId), ctx)
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
    await ctx.summary('Atlas customer-managed X.509', [
      [
        'Result',
        wasEnabled ? 'disabled (rolling restart started)' : 'already off (no request sent)'
      ]
    ])
  }
}
