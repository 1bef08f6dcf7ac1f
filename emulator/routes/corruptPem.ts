import { generateKeys, privateKeyPem, type IssuedClientCert } from '../ca.js'
import type { CorruptPemVariant } from '../types.js'
import type { ServerResources } from './context.js'

/** The spoiled certs POST bodies a 'corrupt-pem' fault can send instead of the real one. */
export async function corruptPemBody(
  variant: CorruptPemVariant,
  issued: IssuedClientCert,
  server: ServerResources
): Promise<string> {
  const pem = issued.certPem + issued.keyPem
  switch (variant) {
    case 'garbage':
      return 'this is not a PEM file\n\u0000\u00ff garbage from a broken gateway\n'
    case 'truncated':
      return pem.slice(0, Math.floor(pem.length / 2))
    case 'no-key':
      return issued.certPem
    case 'mismatched-key': {
      const other = await generateKeys(server.options.keyAlgorithm)
      return issued.certPem + (await privateKeyPem(other.privateKey))
    }
    case 'two-certs':
      return issued.certPem + server.managedCa.pem + issued.keyPem
    case 'json-quoted':
      return JSON.stringify(pem)
  }
}
