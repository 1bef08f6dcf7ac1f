import { parseConfig, type Config } from './config.js'
import type { OperationContext } from './operations/context.js'
import { createCertificate } from './operations/create-certificate.js'
import { createEphemeralUser } from './operations/create-ephemeral-user.js'
import { deleteUser } from './operations/delete-user.js'
import { getCustomerX509, setCustomerX509 } from './operations/customer-x509.js'
import { disableCustomerX509 } from './operations/disable-customer-x509.js'
import { listCertificates } from './operations/list-certificates.js'
import { pruneEphemeralUsers } from './operations/prune-ephemeral-users.js'
import { reportFailure } from './report.js'
import {
  defaultDependencies,
  maskSecretInputs,
  withOperationContext,
  type RunDependencies
} from './runtime.js'

function runOperation(config: Config, ctx: OperationContext): Promise<void> {
  switch (config.operation) {
    case 'create-certificate':
      return createCertificate(config.groupId, config.certificate, ctx)
    case 'disable-customer-x509':
      return disableCustomerX509(config.groupId, ctx)
    case 'create-ephemeral-user':
      return createEphemeralUser(config.groupId, config.ephemeral, ctx)
    case 'delete-user':
      return deleteUser(config.groupId, config.username, ctx)
    case 'prune-ephemeral-users':
      return pruneEphemeralUsers(config.groupId, config.dryRun, ctx)
    case 'list-certificates':
      return listCertificates(config.groupId, config.username, config.expiryWarningDays, ctx)
    case 'get-customer-x509':
      return getCustomerX509(config.groupId, config.expiryWarningDays, ctx)
    case 'set-customer-x509':
      return setCustomerX509(config.groupId, config.ca, ctx)
  }
}

/** The main step: inputs → configuration → one operation → outputs, summary, or one error annotation. */
export async function run(overrides: Partial<RunDependencies> = {}): Promise<void> {
  const deps = { ...defaultDependencies(), ...overrides }
  try {
    maskSecretInputs(deps)
    const config = parseConfig(deps.readInput, deps.env)
    await withOperationContext(config, deps, ctx => runOperation(config, ctx))
  } catch (error) {
    await reportFailure(error, deps.io)
  }
}
