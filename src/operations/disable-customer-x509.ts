import { atlasPath } from '../atlas/client.js'
import type { OperationContext } from './context.js'
import { customerCas, type UserSecurity } from './user-security.js'

/**
 * Reads userSecurity first: DELETE …/customerX509 restarts every cluster of the project, so it is
 * sent only when a customer CA is actually set.
 */
export async function disableCustomerX509(groupId: string, ctx: OperationContext): Promise<void> {
  const { client, io } = ctx
  const security = await client.json<UserSecurity>(
    'GET',
    atlasPath`/groups/${groupId}/userSecurity`
  )
  const wasEnabled = customerCas(security) !== undefined
  if (wasEnabled) {
    await client.call('DELETE', atlasPath`/groups/${groupId}/userSecurity/customerX509`)
    io.warning(
      `Customer-managed X.509 is now off for project ${groupId}. Atlas removed the CA and is doing a rolling restart of every cluster in the project; users who authenticate with certificates from that CA can no longer connect.`,
      'Rolling restart of the project clusters'
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
    ['Result', wasEnabled ? 'disabled (rolling restart started)' : 'already off (no request sent)']
  ])
}
