import {
  formatDistinguishedName,
  parseDistinguishedName
} from '../../src/certificate/distinguished-name.js'
import { issuerKeyMasks } from '../../src/inputs/issuer-key.js'

describe('RFC 2253 names (subject-suffix, CUSTOMER user names)', () => {
  it('reads the parts most specific first and writes them back as Atlas stores them', () => {
    const name = parseDistinguishedName('CN=ci-7, ou=ci,O=Acme Ltd.,C=GB,DC=example')
    expect(name).toEqual([
      { type: 'CN', value: 'ci-7' },
      { type: 'OU', value: 'ci' },
      { type: 'O', value: 'Acme Ltd.' },
      { type: 'C', value: 'GB' },
      { type: 'DC', value: 'example' }
    ])
    expect(formatDistinguishedName(name)).toBe('CN=ci-7,OU=ci,O=Acme Ltd.,C=GB,DC=example')
  })

  it.each([
    ['', /empty/],
    ['OU=ci;O=Acme', /character not accepted/],
    ['OU=a\\,b', /character not accepted/],
    ['OU=ci+CN=x', /multi-valued/],
    ['OU', /not TYPE=value/],
    ['STREET=Main', /not an accepted attribute type/],
    ['O= Acme', /character not accepted/],
    ['C=gb', /two-letter country code/],
    ['CN=' + 'x'.repeat(65), /longer than 64/],
    ['O=a/b', /character not accepted/],
    ['O=100%', /character not accepted/]
  ])('refuses %j', (text, message) => {
    expect(() => parseDistinguishedName(text)).toThrow(message)
  })
})

describe('issuer-key masks', () => {
  it('registers the whole value and every non-empty line, without \\r', () => {
    const key =
      '-----BEGIN EC PRIVATE KEY-----\r\nMHcCAQEEIB0abcdefghij\r\n\r\nAw==\r\n-----END EC PRIVATE KEY-----\r\n'
    expect(issuerKeyMasks(key)).toEqual([
      key.trim(),
      '-----BEGIN EC PRIVATE KEY-----',
      'MHcCAQEEIB0abcdefghij',
      'Aw==',
      '-----END EC PRIVATE KEY-----'
    ])
    expect(issuerKeyMasks('')).toEqual([])
  })
})
