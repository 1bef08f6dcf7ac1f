import { InputError } from '../errors.js'

/** The `connection-string` input: a MongoDB URI without credentials, or undefined. */
export function parseConnectionString(value: string): string | undefined {
  if (!value) return undefined
  const match = /^(mongodb(?:\+srv)?):\/\/([^/?#]*)/.exec(value)
  if (!match) {
    throw new InputError(
      'connection-string',
      'Expected a MongoDB URI starting with mongodb:// or mongodb+srv://.'
    )
  }
  if (match[2]!.includes('@')) {
    throw new InputError(
      'connection-string',
      'Give the URI without credentials (no user:password@): X.509 authenticates with the certificate.'
    )
  }
  if (!match[2]) throw new InputError('connection-string', 'The URI has no host.')
  return value
}

/** The URI with the X.509 options added (replacing any given): authMechanism, tls, key file. */
export function connectionStringFor(uri: string, certificateFile: string): string {
  const [base, query = ''] = splitOnce(uri, '?')
  const replaced = new Set(['authmechanism', 'tls', 'ssl', 'tlscertificatekeyfile'])
  const kept = query.split('&').filter(p => p && !replaced.has(p.split('=')[0]!.toLowerCase()))
  kept.push(
    'authMechanism=MONGODB-X509',
    'tls=true',
    `tlsCertificateKeyFile=${encodeURIComponent(certificateFile)}`
  )
  const hasPath = /^mongodb(?:\+srv)?:\/\/[^/]*\//.test(base)
  return `${base}${hasPath ? '' : '/'}?${kept.join('&')}`
}

function splitOnce(value: string, separator: string): [string, string?] {
  const index = value.indexOf(separator)
  return index < 0 ? [value] : [value.slice(0, index), value.slice(index + 1)]
}
