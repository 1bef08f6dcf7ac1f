import { generateKeyPairSync } from 'node:crypto'
import { createRequire } from 'node:module'
import { InputError } from '../../src/inputs/inputs.js'
import { parseGitHubSecret, parseRenewWithinDays } from '../../src/inputs/rotation.js'
import { decideRenewal } from '../../src/operations/renewal.js'
import {
  certificateStatus,
  mapConcurrently,
  newestPerUser,
  type CertificateSummary
} from '../../src/operations/list-certificates.js'
import { publicKeyProblem, sealForGitHub } from '../../src/github/sealed-box.js'
import { permissionAdvice, secretTarget } from '../../src/github/secret-store.js'
import { GitHubRequestError } from '../../src/github/errors.js'

// The reference implementation (libsodium, as WebAssembly) opens what the action sealed with tweetnacl.
const sodium = createRequire(import.meta.url)(
  'libsodium-wrappers'
) as typeof import('libsodium-wrappers')

const reader = (inputs: Record<string, string>) => (name: string) => inputs[name] ?? ''
const inputError = (fn: () => unknown): InputError => {
  try {
    fn()
  } catch (error) {
    if (error instanceof InputError) return error
    throw error
  }
  throw new Error('no InputError')
}

const DAY = 86_400_000
const NOW = Date.parse('2026-11-23T10:00:00.000Z')
const at = (days: number) => new Date(NOW + days * DAY).toISOString()

describe('renew-within-days', () => {
  it('is undefined when empty, else a whole number from 0 to 730', () => {
    expect(parseRenewWithinDays(reader({}))).toBeUndefined()
    expect(parseRenewWithinDays(reader({ 'renew-within-days': '0' }))).toBe(0)
    expect(parseRenewWithinDays(reader({ 'renew-within-days': '730' }))).toBe(730)
    for (const bad of ['731', '-1', '3.5', 'soon']) {
      expect(
        inputError(() => parseRenewWithinDays(reader({ 'renew-within-days': bad }))).input
      ).toBe('renew-within-days')
    }
  })
})

describe('the renewal decision', () => {
  it('is due without any unexpired certificate', () => {
    expect(decideRenewal([], 30, NOW).due).toBe(true)
    expect(decideRenewal([{ notAfter: at(-1) }, { notAfter: 'garbage' }], 30, NOW).due).toBe(true)
  })
  it('is not due while the latest expires more than N days from now, and says from when it is', () => {
    const records = [{ notAfter: at(10) }, { notAfter: at(200) }, { notAfter: at(50) }]
    expect(decideRenewal(records, 30, NOW)).toEqual({
      due: false,
      reason: 'not-due',
      latestExpiry: at(200),
      dueAt: at(170)
    })
  })
  it('is due when the latest expires within N days (the boundary included)', () => {
    expect(decideRenewal([{ notAfter: at(10) }], 30, NOW).due).toBe(true)
    expect(decideRenewal([{ notAfter: at(30) }], 30, NOW).due).toBe(true)
    expect(decideRenewal([{ notAfter: at(30) }], 29, NOW).due).toBe(false)
  })
  it('counts only strict ISO 8601 UTC expiries: a far-future non-date does not postpone renewal', () => {
    expect(decideRenewal([{ notAfter: at(10) }, { notAfter: '9999' }], 30, NOW).due).toBe(true)
    expect(decideRenewal([{ notAfter: 'Dec 31 9999' }], 30, NOW).due).toBe(true)
  })
  it('with 0 days, issues only once the latest certificate has expired', () => {
    expect(decideRenewal([{ notAfter: at(1) }], 0, NOW).due).toBe(false)
  })
  it('without a secret to keep, the reason is expiring or not-due', () => {
    expect(decideRenewal([], 30, NOW).reason).toBe('expiring')
    expect(decideRenewal([{ notAfter: at(10) }], 30, NOW).reason).toBe('expiring')
    expect(decideRenewal([{ notAfter: at(200) }], 30, NOW).reason).toBe('not-due')
  })
})

describe('the renewal decision with a GitHub secret', () => {
  const latest = { createdAt: at(-10), notAfter: at(200) }
  const written = (days: number) => ({ exists: true as const, updatedAt: at(days) })
  it('a missing secret is due, whatever the certificates', () => {
    expect(decideRenewal([latest], 30, NOW, { exists: false }).reason).toBe('secret-missing')
    expect(decideRenewal([], 30, NOW, { exists: false }).reason).toBe('secret-missing')
  })
  it('a secret written before the latest certificate was created is stale: that certificate never reached it', () => {
    const decision = decideRenewal(
      [{ createdAt: at(-100), notAfter: at(100) }, latest],
      30,
      NOW,
      written(-11)
    )
    expect(decision.reason).toBe('secret-stale')
    expect(decision.due).toBe(true)
  })
  it('a secret written after the latest certificate was created holds it: the expiry decides', () => {
    expect(decideRenewal([latest], 30, NOW, written(-9)).reason).toBe('not-due')
    expect(
      decideRenewal([{ createdAt: at(-10), notAfter: at(20) }], 30, NOW, written(-9)).reason
    ).toBe('expiring')
  })
  it('compares against the latest certificate, not an older one written later', () => {
    const older = { createdAt: at(-1), notAfter: at(50) }
    expect(decideRenewal([older, latest], 30, NOW, written(-5)).reason).toBe('not-due')
    expect(
      decideRenewal([{ createdAt: at(-1), notAfter: at(300) }, latest], 30, NOW, written(-5)).reason
    ).toBe('secret-stale')
  })
  it('allows a minute of clock skew between GitHub and Atlas, no more', () => {
    const created = Date.parse(latest.createdAt)
    const seconds = (s: number) => ({
      exists: true as const,
      updatedAt: new Date(created + s * 1000).toISOString().replace(/\.000Z$/, 'Z')
    })
    expect(decideRenewal([latest], 30, NOW, seconds(-30)).reason).toBe('not-due')
    expect(decideRenewal([latest], 30, NOW, seconds(-61)).reason).toBe('secret-stale')
  })
  it('a date that cannot be read does not show the secret holds the certificate', () => {
    expect(decideRenewal([latest], 30, NOW, { exists: true, updatedAt: '' }).reason).toBe(
      'secret-stale'
    )
    expect(
      decideRenewal([{ createdAt: 'yesterday', notAfter: at(200) }], 30, NOW, written(-1)).reason
    ).toBe('secret-stale')
  })
  it('with no unexpired certificate and a secret, it is the expiry that is due', () => {
    expect(
      decideRenewal([{ createdAt: at(-400), notAfter: at(-1) }], 30, NOW, written(-2)).reason
    ).toBe('expiring')
  })
})

describe('github-secret inputs', () => {
  it('none given: no secret', () => {
    expect(parseGitHubSecret(reader({}))).toBeUndefined()
  })
  it('a name and a token, optionally an environment', () => {
    expect(
      parseGitHubSecret(reader({ 'github-secret': 'ATLAS_CERT', 'github-token': 't' }))
    ).toEqual({
      name: 'ATLAS_CERT',
      token: 't',
      environment: undefined
    })
    expect(
      parseGitHubSecret(
        reader({
          'github-secret': '_x1',
          'github-token': 't',
          'github-secret-environment': 'production'
        })
      )
    ).toEqual({ name: '_x1', token: 't', environment: 'production' })
  })
  it.each([
    [{ 'github-secret': 'ATLAS_CERT' }, 'github-token'],
    [{ 'github-secret-environment': 'production' }, 'github-secret-environment'],
    [
      { 'github-secret-environment': 'production', 'github-token': 't' },
      'github-secret-environment'
    ],
    [{ 'github-secret': '1CERT', 'github-token': 't' }, 'github-secret'],
    [{ 'github-secret': 'ATLAS-CERT', 'github-token': 't' }, 'github-secret'],
    [{ 'github-secret': 'GITHUB_CERT', 'github-token': 't' }, 'github-secret'],
    [{ 'github-secret': 'github_cert', 'github-token': 't' }, 'github-secret'],
    ...['a\nb', '.', '..', 'prod/staging', '../other-repo', 'x\u007f'].map(
      (environment): [Record<string, string>, string] => [
        { 'github-secret': 'A', 'github-token': 't', 'github-secret-environment': environment },
        'github-secret-environment'
      ]
    )
  ])('%j is an input error naming %s', (inputs, input) => {
    expect(inputError(() => parseGitHubSecret(reader(inputs))).input).toBe(input)
  })
  it('the repository comes from GITHUB_REPOSITORY, the API from GITHUB_API_URL (default api.github.com)', () => {
    const options = { name: 'ATLAS_CERT', token: 't', environment: undefined }
    expect(secretTarget(options, { GITHUB_REPOSITORY: 'octo/app' })).toEqual({
      destination: { owner: 'octo', repo: 'app', environment: undefined, name: 'ATLAS_CERT' },
      baseUrl: 'https://api.github.com'
    })
    expect(
      secretTarget(options, {
        GITHUB_REPOSITORY: 'octo/app',
        GITHUB_API_URL: 'https://ghe.example/api/v3/'
      }).baseUrl
    ).toBe('https://ghe.example/api/v3')
    expect(inputError(() => secretTarget(options, {})).message).toMatch(
      /GITHUB_REPOSITORY is not set/
    )
  })
  it('GITHUB_API_URL: https, or http to this machine only; never with a user or password', () => {
    const options = { name: 'ATLAS_CERT', token: 't', environment: undefined }
    const target = (url: string) =>
      secretTarget(options, { GITHUB_REPOSITORY: 'octo/app', GITHUB_API_URL: url })
    for (const url of ['http://127.0.0.1:8080', 'http://localhost:3000', 'http://[::1]:9000'])
      expect(target(url).baseUrl).toBe(url)
    for (const url of [
      'http://api.github.com',
      'http://127.0.0.1.example.com',
      'ftp://ghe.example',
      'https://token@api.github.com',
      'https://u:p@ghe.example/api/v3',
      'not a url'
    ])
      expect(inputError(() => target(url)).input).toBe('github-secret')
  })
  it('GITHUB_REPOSITORY: an owner/repo name, not a path', () => {
    const options = { name: 'ATLAS_CERT', token: 't', environment: undefined }
    for (const repository of ['../app', 'octo/..', 'octo/a%2Fb', 'octo/a?b'])
      expect(inputError(() => secretTarget(options, { GITHUB_REPOSITORY: repository })).input).toBe(
        'github-secret'
      )
  })
  it('a refused request says which permission the token needs', () => {
    const repo = { owner: 'o', repo: 'r', name: 'N', environment: undefined }
    expect(permissionAdvice(new GitHubRequestError('secret', 403, 'x'), repo)).toMatch(
      /"Secrets: Read and write"/
    )
    expect(
      permissionAdvice(new GitHubRequestError('secret', 403, 'x'), { ...repo, environment: 'prod' })
    ).toMatch(/"Environments: Read and write"/)
    expect(permissionAdvice(new GitHubRequestError('public-key', 401, 'x'), repo)).toMatch(
      /did not accept/
    )
    expect(permissionAdvice(new GitHubRequestError('public-key', 404, 'x'), repo)).toMatch(
      /does not exist/
    )
    expect(permissionAdvice(new GitHubRequestError('secret', 403, 'x'), repo)).toMatch(
      /GITHUB_TOKEN cannot/
    )
  })
})

describe('the sealed box', () => {
  beforeAll(() => sodium.ready)

  it('opens with libsodium (crypto_box_seal_open) to exactly the value, for a key from Node', () => {
    const { publicKey, privateKey } = generateKeyPairSync('x25519')
    const pk = new Uint8Array(Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url'))
    const sk = new Uint8Array(Buffer.from(privateKey.export({ format: 'jwk' }).d!, 'base64url'))
    const value = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n'
    const sealed = sealForGitHub(value, Buffer.from(pk).toString('base64'))
    expect(Buffer.from(sealed, 'base64')).toHaveLength(32 + 16 + value.length)
    const opened = sodium.crypto_box_seal_open(
      new Uint8Array(Buffer.from(sealed, 'base64')),
      pk,
      sk
    )
    expect(Buffer.from(opened).toString('utf8')).toBe(value)
    // A fresh ephemeral key each time.
    expect(sealForGitHub(value, Buffer.from(pk).toString('base64'))).not.toBe(sealed)
  })
  it('refuses a key that is not 32 bytes', () => {
    expect(() => sealForGitHub('x', Buffer.alloc(31).toString('base64'))).toThrow(/32/)
  })
  // The points of small order on Curve25519 (and their non-canonical encodings): with any of them
  // the shared key is all zeros, so anyone could open the sealed value.
  const hex = (text: string) => new Uint8Array(Buffer.from(text, 'hex'))
  const ff = 'ff'.repeat(30)
  const lowOrder: Array<[string, Uint8Array]> = [
    ['0', new Uint8Array(32)],
    ['1', hex('01' + '00'.repeat(31))],
    ['order 8 (a)', hex('e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800')],
    ['order 8 (b)', hex('5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157')],
    ['p - 1', hex('ec' + ff + '7f')],
    ['p', hex('ed' + ff + '7f')],
    ['p + 1', hex('ee' + ff + '7f')],
    ['0 with the top bit set', hex('00'.repeat(31) + '80')],
    ['p - 1 with the top bit set', hex('ec' + ff + 'ff')]
  ]
  it.each(lowOrder)('refuses the low-order point %s', (_, point) => {
    expect(publicKeyProblem(point)).toMatch(/low-order/)
    expect(() => sealForGitHub('x', Buffer.from(point).toString('base64'))).toThrow(/low-order/)
  })
  it('accepts a real X25519 key', () => {
    const { publicKey } = generateKeyPairSync('x25519')
    const pk = new Uint8Array(Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url'))
    expect(publicKeyProblem(pk)).toBeUndefined()
  })
})

describe('list-certificates across users', () => {
  const cert = (
    username: string,
    days: number,
    id = `${username}-${days}`
  ): CertificateSummary => ({
    groupId: 'g',
    username,
    id,
    subject: `CN=${username}`,
    createdAt: at(-1),
    notAfter: at(days)
  })
  it("picks each user's newest certificate", () => {
    const all = [cert('a', 5), cert('a', 300), cert('b', 20), cert('b', 10)]
    expect(newestPerUser(all).map(c => c.id)).toEqual(['a-300', 'b-20'])
  })
  it('status: expired, renew soon (only the newest, within the window), ok', () => {
    expect(certificateStatus(cert('a', -1), true, 30, NOW)).toBe('expired')
    expect(certificateStatus(cert('a', 20), true, 30, NOW)).toBe('renew soon')
    expect(certificateStatus(cert('a', 20), false, 30, NOW)).toBe('ok')
    expect(certificateStatus(cert('a', 40), true, 30, NOW)).toBe('ok')
  })
  it('reads at most 4 users at a time, results in order', async () => {
    let running = 0
    let peak = 0
    const results = await mapConcurrently([1, 2, 3, 4, 5, 6, 7, 8, 9], 4, async n => {
      running++
      peak = Math.max(peak, running)
      await new Promise(resolve => setTimeout(resolve, 5))
      running--
      return n * 2
    })
    expect(results).toEqual([2, 4, 6, 8, 10, 12, 14, 16, 18])
    expect(peak).toBe(4)
  })
})
