/**
 * Distinguished names as Atlas names CUSTOMER X.509 users: RFC 2253 text, most specific part
 * first (`CN=ci-7,OU=ci,O=Acme`), exactly as mongod prints a certificate's subject. Pure.
 */

/** One attribute of a name, as written: `CN=ci-7` is `{ type: 'CN', value: 'ci-7' }`. */
export interface NameAttribute {
  type: AttributeType
  value: string
}

/**
 * The attribute types accepted, with their OIDs: the RFC 2253 keywords that OpenSSL (and so
 * mongod) prints under the same name. STREET is left out: OpenSSL prints it as `street`.
 */
export const ATTRIBUTE_OIDS = {
  CN: '2.5.4.3',
  L: '2.5.4.7',
  ST: '2.5.4.8',
  O: '2.5.4.10',
  OU: '2.5.4.11',
  C: '2.5.4.6',
  DC: '0.9.2342.19200300.100.1.25',
  UID: '0.9.2342.19200300.100.1.1'
} as const
export type AttributeType = keyof typeof ATTRIBUTE_OIDS

/**
 * Characters a value may hold: printable ASCII without those RFC 2253 escapes (`,+"\<>;=#`).
 * A value that needs escaping could be printed differently by mongod than written here, and
 * the user's name would then never match its certificate; `/` and `%` cannot be in a user's
 * name in an Atlas path.
 */
const VALUE = /^[A-Za-z0-9 '().:?@_&!*$^{}[\]|~-]+$/
/** X.520 upper bounds (RFC 5280 Appendix A). */
const MAX_LENGTH: Partial<Record<AttributeType, number>> = {
  CN: 64,
  L: 128,
  ST: 128,
  O: 64,
  OU: 64,
  C: 2
}

export const ACCEPTED_NAME =
  'RFC 2253 text, most specific part first, e.g. `OU=ci,O=Acme,C=GB`: attributes CN, OU, O, L, ST, C, DC or UID, each `TYPE=value` separated by commas, values of printable ASCII without `, + " \\ < > ; = # / %` and without leading or trailing spaces.'

/** Parses RFC 2253 text; throws an Error saying what is wrong (the caller names the input). */
export function parseDistinguishedName(text: string): NameAttribute[] {
  if (text.trim() === '') throw new Error('The name is empty.')
  return text.split(',').map(part => {
    if (part.includes('+'))
      throw new Error(`"${part}" is a multi-valued part (with +), which is not supported.`)
    const at = part.indexOf('=')
    if (at < 0) throw new Error(`"${part}" is not TYPE=value.`)
    const type = part.slice(0, at).trim().toUpperCase()
    const value = part.slice(at + 1)
    if (!(type in ATTRIBUTE_OIDS))
      throw new Error(`"${part.slice(0, at).trim()}" is not an accepted attribute type.`)
    if (value === '' || value !== value.trim() || !VALUE.test(value))
      throw new Error(`The value of "${part.trim()}" is empty or holds a character not accepted.`)
    const max = MAX_LENGTH[type as AttributeType]
    if (max !== undefined && value.length > max)
      throw new Error(`The value of ${type} is longer than ${max} characters.`)
    if (type === 'C' && !/^[A-Z]{2}$/.test(value))
      throw new Error(`C=${value} is not a two-letter country code (upper case).`)
    return { type: type as AttributeType, value }
  })
}

/** The name as RFC 2253 text: types upper case, no spaces around `=` and `,`. */
export function formatDistinguishedName(name: readonly NameAttribute[]): string {
  return name.map(({ type, value }) => `${type}=${value}`).join(',')
}
