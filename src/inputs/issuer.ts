/**
 * The self-managed X.509 inputs: `issuer-certificate`, `issuer-key`, `key-type`, `subject-suffix`,
 * and `username` as a CUSTOMER user's name. Pure: nothing here performs I/O.
 */
import {
  ACCEPTED_NAME,
  formatDistinguishedName,
  parseDistinguishedName,
  type NameAttribute
} from '../certificate/distinguished-name.js'
import type { KeyType } from '../certificate/local-issuer.js'
import { DEFAULTS, InputError, type InputReader } from './inputs.js'

export const KEY_TYPES: readonly KeyType[] = ['ec-p256', 'rsa-2048', 'rsa-4096']

/** The CA that signs on the runner, as given (checked when opened). */
export interface IssuerOptions {
  certificatePem: string
  keyPem: string
  keyType: KeyType
}

/** `issuer-certificate`, `issuer-key` and `key-type`: undefined when no issuer is given. */
export function parseIssuer(read: InputReader): IssuerOptions | undefined {
  const certificatePem = read('issuer-certificate')
  const keyPem = read('issuer-key')
  const keyTypeText = read('key-type')
  if (!certificatePem && !keyPem) {
    if (keyTypeText)
      throw new InputError(
        'key-type',
        'Given without `issuer-certificate` and `issuer-key`: the key type applies only to keys made on the runner for a certificate signed there.'
      )
    return undefined
  }
  if (!certificatePem || !keyPem) {
    const missing = certificatePem ? 'issuer-key' : 'issuer-certificate'
    throw new InputError(
      missing,
      "Self-managed X.509 needs both `issuer-certificate` (the signing CA, then its intermediates, PEM) and `issuer-key` (that CA's private key, PEM, from a secret)."
    )
  }
  const keyType = (keyTypeText || DEFAULTS['key-type']) as KeyType
  if (!KEY_TYPES.includes(keyType))
    throw new InputError(
      'key-type',
      `"${keyTypeText}" is not a key type: use ${KEY_TYPES.join(', ')}.`
    )
  return { certificatePem, keyPem, keyType }
}

/** `subject-suffix` (create-ephemeral-user): the name's parts after the CN, RFC 2253. */
export function parseSubjectSuffix(read: InputReader, issuer: IssuerOptions | undefined) {
  const text = read('subject-suffix')
  if (!text) return []
  if (!issuer)
    throw new InputError(
      'subject-suffix',
      'Given without `issuer-certificate` and `issuer-key`: a subject suffix names CUSTOMER users, whose certificates are signed on the runner.'
    )
  let suffix: NameAttribute[]
  try {
    suffix = parseDistinguishedName(text)
  } catch (error) {
    throw new InputError('subject-suffix', `${(error as Error).message} Accepted: ${ACCEPTED_NAME}`)
  }
  if (suffix.some(part => part.type === 'CN'))
    throw new InputError(
      'subject-suffix',
      "The suffix holds a CN: the CN is the user's own part, made by the action (CN=<prefix>-<random>). Give the rest, e.g. `OU=ci,O=Acme`."
    )
  return suffix
}

/** `username` of create-certificate with an issuer: the CUSTOMER user's DN, which must hold a CN. */
export function parseCustomerUsername(username: string): NameAttribute[] {
  let name: NameAttribute[]
  try {
    name = parseDistinguishedName(username)
  } catch (error) {
    throw new InputError(
      'username',
      `With an issuer, username is the CUSTOMER user's name, its certificate subject: ${(error as Error).message} Accepted: ${ACCEPTED_NAME}`
    )
  }
  if (!name.some(part => part.type === 'CN'))
    throw new InputError(
      'username',
      'The name holds no CN; Atlas requires one for a CUSTOMER user.'
    )
  if (formatDistinguishedName(name) !== username)
    throw new InputError(
      'username',
      `Write the name as Atlas stores it, without spaces around = and , and with upper-case types: ${formatDistinguishedName(name)}.`
    )
  return name
}

/**
 * The issuer inputs of create-certificate: with an issuer, `username` is the CUSTOMER user's DN,
 * and `renew-within-days` is refused (Atlas keeps no list of certificates it did not issue).
 */
export function parseCertificateIssuer(
  read: InputReader,
  username: string,
  renewWithinDays: number | undefined
): IssuerOptions | undefined {
  const issuer = parseIssuer(read)
  if (!issuer) return undefined
  if (renewWithinDays !== undefined)
    throw new InputError(
      'renew-within-days',
      'Not available with an issuer: Atlas keeps no list of the certificates signed with your own CA, so nothing tells when one is due. Leave it empty to sign every run.'
    )
  parseCustomerUsername(username)
  return issuer
}

/**
 * The issuer inputs of create-ephemeral-user: the certificate lives `ephemeral-ttl-hours` plus
 * one hour, so `months` is refused beside an issuer.
 */
export function parseEphemeralIssuer(read: InputReader): {
  issuer: IssuerOptions | undefined
  subjectSuffix: NameAttribute[]
} {
  const issuer = parseIssuer(read)
  if (issuer && read('months'))
    throw new InputError(
      'months',
      'Not used with an issuer: the certificate of an ephemeral CUSTOMER user lives ephemeral-ttl-hours plus one hour, since nothing can revoke it. Set ephemeral-ttl-hours instead.'
    )
  return { issuer, subjectSuffix: parseSubjectSuffix(read, issuer) }
}
