import type { Credentials } from '../atlas/auth/methods.js'
import { InputError, type Environment, type InputReader } from './inputs.js'

type CredentialKind = Credentials['kind']

interface CredentialPart {
  input: string
  env: string
  secret: boolean
}

/**
 * The one table of credential inputs and their environment fallbacks: parsing and masking both
 * read it, so a secret added here is masked too.
 */
export const CREDENTIALS: Readonly<
  Record<CredentialKind, readonly [CredentialPart, CredentialPart]>
> = {
  'service-account': [
    { input: 'client-id', env: 'MONGODB_ATLAS_CLIENT_ID', secret: false },
    { input: 'client-secret', env: 'MONGODB_ATLAS_CLIENT_SECRET', secret: true }
  ],
  'api-key': [
    { input: 'public-key', env: 'MONGODB_ATLAS_PUBLIC_API_KEY', secret: false },
    { input: 'private-key', env: 'MONGODB_ATLAS_PRIVATE_API_KEY', secret: true }
  ]
}

const KINDS = Object.keys(CREDENTIALS) as CredentialKind[]

/** Every secret credential value given, as input or environment variable: to mask before anything runs. */
export function secretCredentialValues(read: InputReader, env: Environment): string[] {
  return KINDS.flatMap(kind => CREDENTIALS[kind])
    .filter(part => part.secret)
    .flatMap(part => [read(part.input), env[part.env]?.trim() ?? ''])
    .filter(value => value !== '')
}

const CREDENTIALS_ACCEPTED =
  'Give exactly one pair: `client-id` + `client-secret` (service account) or `public-key` + `private-key` (API key), as inputs or as the environment variables MONGODB_ATLAS_CLIENT_ID + MONGODB_ATLAS_CLIENT_SECRET or MONGODB_ATLAS_PUBLIC_API_KEY + MONGODB_ATLAS_PRIVATE_API_KEY.'

/**
 * Exactly one complete pair. A pair given whole as inputs wins over the environment; otherwise
 * each input falls back to its environment variable.
 */
export function parseCredentials(read: InputReader, env: Environment): Credentials {
  const complete = (values: string[]) => values.every(v => v !== '')
  const inputs = (kind: CredentialKind) => CREDENTIALS[kind].map(part => read(part.input))
  const resolved = (kind: CredentialKind) =>
    CREDENTIALS[kind].map(part => read(part.input) || env[part.env]?.trim() || '')
  const halfError = (kind: CredentialKind, values: string[]) => {
    const missing = CREDENTIALS[kind]
      .filter((_, i) => values[i] === '')
      .map(part => `\`${part.input}\` (or ${part.env})`)
    return new InputError(
      'credentials',
      `Half a credential pair: ${missing.join(' and ')} is missing. ${CREDENTIALS_ACCEPTED}`
    )
  }

  const wholeInputs = KINDS.filter(kind => complete(inputs(kind)))
  if (wholeInputs.length === 2) {
    throw new InputError(
      'credentials',
      `Both a service account and an API key were given as inputs. ${CREDENTIALS_ACCEPTED}`
    )
  }
  let chosen: { kind: CredentialKind; values: string[] }
  if (wholeInputs.length === 1) {
    const kind = wholeInputs[0]!
    const other = KINDS.find(k => k !== kind)!
    if (inputs(other).some(v => v !== '')) throw halfError(other, inputs(other))
    chosen = { kind, values: inputs(kind) }
  } else {
    const pairs = KINDS.map(kind => ({ kind, values: resolved(kind) }))
    const whole = pairs.filter(p => complete(p.values))
    const half = pairs.find(
      p =>
        !complete(p.values) &&
        (whole.length === 0 || inputs(p.kind).some(v => v !== '')) &&
        p.values.some(v => v !== '')
    )
    if (half) throw halfError(half.kind, half.values)
    if (whole.length === 0)
      throw new InputError(
        'credentials',
        `No Atlas credentials were found. ${CREDENTIALS_ACCEPTED}`
      )
    if (whole.length === 2) {
      throw new InputError(
        'credentials',
        `Both a service account and an API key were found. ${CREDENTIALS_ACCEPTED}`
      )
    }
    chosen = whole[0]!
  }
  const [id, secret] = chosen.values as [string, string]
  return chosen.kind === 'service-account'
    ? { kind: 'service-account', clientId: id, clientSecret: secret }
    : { kind: 'api-key', publicKey: id, privateKey: secret }
}

/** Which credential a step used, without its secret: what the post step checks before using one. */
export interface CredentialIdentity {
  kind: CredentialKind
  /** The client id or the public key. */
  id: string
}

export function credentialIdentity(credentials: Credentials): CredentialIdentity {
  return credentials.kind === 'service-account'
    ? { kind: credentials.kind, id: credentials.clientId }
    : { kind: credentials.kind, id: credentials.publicKey }
}
