import { DigestSigner, digestResponse, parseDigestChallenge } from '../../src/atlas/auth/digest.js'
import { RFC7616_EXAMPLE, RFC7616_RESPONSES } from '../support/rfc7616.js'

const RFC = RFC7616_EXAMPLE

describe('digestResponse (RFC 7616 §3.9.1)', () => {
  it('computes the MD5 response', () => {
    expect(digestResponse({ ...RFC, algorithm: 'MD5' })).toBe(RFC7616_RESPONSES.MD5)
  })
  it('computes the SHA-256 response', () => {
    expect(digestResponse({ ...RFC, algorithm: 'SHA-256' })).toBe(
      '753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1'
    )
  })
})

describe('parseDigestChallenge', () => {
  it("reads Atlas's challenge", () => {
    const challenge = parseDigestChallenge(
      'Digest realm="MMS Public API", domain="", nonce="abc+/=", algorithm=MD5, qop="auth", stale=false'
    )
    expect(challenge).toEqual({
      realm: 'MMS Public API',
      nonce: 'abc+/=',
      algorithm: 'MD5',
      qop: 'auth',
      opaque: undefined,
      stale: false
    })
  })
  it('accepts the documented `op="auth"` typo and SHA-256, stale=true', () => {
    const challenge = parseDigestChallenge(
      'Digest realm="r", nonce="n", algorithm=SHA-256, op="auth", stale=TRUE'
    )
    expect(challenge).toMatchObject({ algorithm: 'SHA-256', qop: 'auth', stale: true })
  })
  it('finds Digest among several challenges and ignores other schemes', () => {
    expect(parseDigestChallenge(['Basic realm="x"', 'Digest realm="r", nonce="n"'])?.nonce).toBe(
      'n'
    )
    expect(parseDigestChallenge('Basic realm="x"')).toBeUndefined()
    expect(parseDigestChallenge(undefined)).toBeUndefined()
  })
  it('refuses an unknown algorithm', () => {
    expect(
      parseDigestChallenge('Digest realm="r", nonce="n", algorithm=SHA-512-256')
    ).toBeUndefined()
  })
})

describe('DigestSigner', () => {
  it('has no header before a challenge', () => {
    expect(new DigestSigner('u', 'p').authorization('GET', '/')).toBeUndefined()
  })
  it('reuses the nonce with an increasing nonce count, as the RFC example for the first', () => {
    const signer = new DigestSigner(RFC.username, RFC.password, () => RFC.cnonce)
    signer.accept({
      realm: RFC.realm,
      nonce: RFC.nonce,
      algorithm: 'MD5',
      qop: 'auth',
      opaque: 'op',
      stale: false
    })
    const first = signer.authorization('GET', RFC.uri)!
    expect(first).toContain('response="8ca523f5e9506fed4657c9700eebdbec"')
    expect(first).toContain('nc=00000001')
    expect(first).toContain('opaque="op"')
    expect(first).toContain('username="Mufasa"')
    const second = signer.authorization('GET', RFC.uri)!
    expect(second).toContain('nc=00000002')
    expect(second).toContain(`nonce="${RFC.nonce}"`)
  })
  it('restarts the count for a new nonce', () => {
    const signer = new DigestSigner('u', 'p')
    signer.accept({ realm: 'r', nonce: 'a', algorithm: 'MD5', qop: 'auth', stale: false })
    signer.authorization('GET', '/')
    signer.accept({ realm: 'r', nonce: 'b', algorithm: 'MD5', qop: 'auth', stale: true })
    expect(signer.authorization('GET', '/')).toContain('nc=00000001')
  })
  it('refuses a challenge that only offers auth-int', () => {
    const signer = new DigestSigner('u', 'p')
    signer.accept({ realm: 'r', nonce: 'a', algorithm: 'MD5', qop: 'auth-int', stale: false })
    expect(() => signer.authorization('GET', '/')).toThrow(/auth-int/)
  })
})
