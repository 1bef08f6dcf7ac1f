import { InputError } from '../inputs/inputs.js'
import { createCertificate } from './create-certificate.js'
import { createEphemeralUser } from './create-ephemeral-user.js'
import { deleteUser } from './delete-user.js'
import { disableCustomerX509 } from './disable-customer-x509.js'
import { getCustomerX509 } from './get-customer-x509.js'
import { listCertificates } from './list-certificates.js'
import type { Operation } from './operation.js'
import { pruneEphemeralUsers } from './prune-ephemeral-users.js'
import { setCustomerX509 } from './set-customer-x509.js'

/** Every operation, once: the `operation` input's accepted values and dispatch derive from it. */
export const OPERATIONS: ReadonlyArray<Operation<unknown>> = [
  createCertificate,
  disableCustomerX509,
  listCertificates,
  createEphemeralUser,
  deleteUser,
  pruneEphemeralUsers,
  getCustomerX509,
  setCustomerX509
]

export const OPERATION_NAMES = OPERATIONS.map(operation => operation.name)

/** The operation an `operation` input names ('' means the default). */
export function findOperation(value: string, fallback: string): Operation<unknown> {
  const name = value || fallback
  const operation = OPERATIONS.find(candidate => candidate.name === name)
  if (!operation) {
    throw new InputError(
      'operation',
      `"${name}" is not an operation. Use one of: ${OPERATION_NAMES.join(', ')}.`
    )
  }
  return operation
}
