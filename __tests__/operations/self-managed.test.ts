/**
 * Self-managed X.509 in-process: create-ephemeral-user and create-certificate with
 * `issuer-certificate` and `issuer-key` sign on the runner for CUSTOMER users. The checks of the
 * issuer run before any request; the trust check before anything is created.
 */
import { expect } from '@jest/globals'
import { execFileSync } from 'node:child_process'
import { nodeFileSystem, type FileSystem } from '../../src/certificate/file.js'
import { readFileSync } from 'node:fs'
import { X509Certificate } from 'node:crypto'
import {
  atlasRequests,
  findLeaks,
  startAtlas,
  type InProcessAtlas as Atlas,
  type StepResult
} from '../support/inprocess.js'
import {
  expiredCaWithKey,
  intermediateCaWithKey,
  rootCa,
  selfSigned,
  traditionalKey
} from '../support/pki.js'

let atlas: Atlas
beforeAll(async () => {
  atlas = await startAtlas({ refuseManagedCertsWithCustomerCa: true })
})
afterAll(() => atlas.close())

const root = rootCa('SM Root CA', 365)
const issuing = intermediateCaWithKey('SM CI Issuing CA', root, 30)
const otherRoot = rootCa('SM Other Root', 365)
// Outlives every months value the tests ask for.
const longIssuing = intermediateCaWithKey('SM Long Issuing CA', root, 300)
const HOUR = 3600_000

beforeEach(() => {
  const { emulator } = atlas
  emulator.clearRequests()
  emulator.clearFaults()
  emulator.setCustomerX509(emulator.groupId, root.pem)
  for (const ca of [issuing, longIssuing]) {
    emulator.recordSecret(ca.keyPem)
    for (const line of keyLines(ca.keyPem)) emulator.recordSecret(line)
  }
})

function keyLines(pem: string): string[] {
  return pem
    .split('\n')
    .map(line => line.trim())
    .filter(line => line && !line.startsWith('-----'))
}

const issuerInputs = (extra: Record<string, string> = {}) => ({
  'issuer-certificate': issuing.pem,
  'issuer-key': issuing.keyPem,
  ...extra
})

const ephemeral = (extra: Record<string, string> = {}) =>
  atlas.inputs('service-account', {
    operation: 'create-ephemeral-user',
    roles: 'readWrite@app',
    username: 'ci',
    'subject-suffix': 'OU=ci,O=Acme',
    ...issuerInputs(),
    ...extra
  })

/** Admin API calls that got an answer (no token request, no Digest challenge). */
const atlasCalls = () =>
  atlasRequests(atlas.emulator).filter(r => r.path.startsWith('/api/atlas/') && r.status !== 401)
const writes = () => atlasCalls().filter(r => r.method !== 'GET')
const openssl = (...args: string[]) =>
  execFileSync('openssl', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })

/** The client key of the written file must appear nowhere the step printed, saved or sent. */
function expectClientKeyKept(main: StepResult, file: string) {
  const lines = keyLines(readFileSync(file, 'utf8').split('-----BEGIN PRIVATE KEY-----')[1]!)
  expect(lines.length).toBeGreaterThan(2)
  expect(findLeaks(main, lines)).toEqual([])
  const sent = atlasRequests(atlas.emulator)
    .map(r => `${r.path} ${r.body ?? ''}`)
    .join('\n')
  for (const line of [...lines, ...keyLines(issuing.keyPem), ...keyLines(longIssuing.keyPem)])
    expect(sent).not.toContain(line)
}

describe('create-ephemeral-user with an issuer', () => {
  it('creates a CUSTOMER user named by the DN and writes a certificate for exactly that name, signed on the runner', async () => {
    const { emulator } = atlas
    const start = Date.now()
    const main = await atlas.step('main', { inputs: ephemeral({ 'ephemeral-ttl-hours': '2' }) })
    expect(main.errors).toEqual([])
    const username = main.outputs.username!
    expect(username).toMatch(/^CN=ci-[a-z0-9]{10},OU=ci,O=Acme$/)
    expect(main.outputs['x509-type']).toBe('CUSTOMER')
    expect(main.outputs.subject).toBe(username)
    const user = emulator.getUser(emulator.groupId, '$external', username)!
    expect(user.x509Type).toBe('CUSTOMER')
    expect(user.labels.map(l => l.key).sort()).toEqual([
      'expires-at',
      'github-run',
      'managed-by',
      'step-nonce'
    ])
    // The trust check, the create and nothing else: Atlas issued no certificate.
    const calls = atlasCalls().map(r => `${r.method} ${r.path.split('?')[0]}`)
    expect(calls.slice(0, 2)).toEqual([
      `GET /api/atlas/v2/groups/${emulator.groupId}/userSecurity`,
      `POST /api/atlas/v2/groups/${emulator.groupId}/databaseUsers`
    ])
    // Then only the readiness wait.
    expect(calls.slice(2).every(call => /^GET .*\/(clusters|flexClusters)(\/|$)/.test(call))).toBe(
      true
    )
    expect(emulator.issuedCertificates(emulator.groupId, username)).toEqual([])

    const file = main.outputs['certificate-file']!
    const text = readFileSync(file, 'utf8')
    expect(text.match(/-----BEGIN CERTIFICATE-----/g)).toHaveLength(2)
    expect(openssl('verify', '-CAfile', root.file, '-untrusted', file, file)).toContain(': OK')
    expect(openssl('x509', '-in', file, '-noout', '-subject', '-nameopt', 'RFC2253').trim()).toBe(
      `subject=${username}`
    )
    const certificate = new X509Certificate(text)
    const details = openssl('x509', '-in', file, '-noout', '-text')
    expect(details).toMatch(/X509v3 Key Usage: critical\s+Digital Signature\n/)
    expect(details).toMatch(/X509v3 Extended Key Usage:\s*\n\s+TLS Web Client Authentication\n/)
    expect(details).toMatch(/CA:FALSE/)
    expect(details).toContain('ASN1 OID: prime256v1')
    expect(certificate.serialNumber.length).toBeGreaterThanOrEqual(16)
    // ephemeral-ttl-hours (2) plus one hour; valid from a few minutes back for clock skew.
    const notAfter = Date.parse(certificate.validTo)
    expect(notAfter).toBeGreaterThanOrEqual(Math.floor(start / 1000) * 1000 + 3 * HOUR - 1000)
    expect(notAfter).toBeLessThanOrEqual(Date.now() + 3 * HOUR)
    expect(Date.parse(certificate.validFrom)).toBeLessThanOrEqual(start - 4 * 60_000)
    expect(main.outputs['expires-at']).toBe(new Date(notAfter).toISOString())
    expectClientKeyKept(main, file)

    const post = await atlas.step('post', { inputs: ephemeral(), state: main.state })
    expect(post.errors).toEqual([])
    expect(emulator.getUser(emulator.groupId, '$external', username)).toBeUndefined()
  })

  it('masks every line of issuer-key before anything else is printed', async () => {
    const main = await atlas.step('main', { inputs: ephemeral({ 'wait-until-ready': 'false' }) })
    expect(main.errors).toEqual([])
    const masked = main.events.filter(e => e.kind === 'setSecret').map(e => e.value)
    for (const line of issuing.keyPem.split('\n').filter(Boolean)) expect(masked).toContain(line)
    // The post step's record is saved empty first: nothing is shown by that.
    const firstOther = main.events.findIndex(
      e => e.kind !== 'setSecret' && !(e.kind === 'saveState' && e.value === '')
    )
    const issuerMasks = main.events.flatMap((e, i) =>
      e.kind === 'setSecret' && issuing.keyPem.includes(e.value) ? [i] : []
    )
    expect(Math.max(...issuerMasks)).toBeLessThan(firstOther)
    await atlas.step('post', { inputs: ephemeral(), state: main.state })
  })

  it('makes rsa-2048 keys with key-type rsa-2048', async () => {
    const main = await atlas.step('main', {
      inputs: ephemeral({ 'key-type': 'rsa-2048', 'wait-until-ready': 'false' })
    })
    expect(main.errors).toEqual([])
    const file = main.outputs['certificate-file']!
    expect(openssl('x509', '-in', file, '-noout', '-text')).toContain('Public-Key: (2048 bit)')
    expectClientKeyKept(main, file)
    await atlas.step('post', { inputs: ephemeral(), state: main.state })
  })

  it('an issuer the project does not trust: one error, nothing created (only the userSecurity read)', async () => {
    const { emulator } = atlas
    emulator.setCustomerX509(emulator.groupId, otherRoot.pem)
    const main = await atlas.step('main', { inputs: ephemeral() })
    expect(main.errors).toEqual([
      {
        level: 'error',
        title: 'Issuer not trusted by the project',
        message: expect.stringContaining('reaches none of the 1 CA certificate(s)')
      }
    ])
    expect(atlasCalls().map(r => r.method)).toEqual(['GET'])
    expect(main.outputs).toEqual({})
    expect(emulator.users(emulator.groupId).filter(u => u.x509Type === 'CUSTOMER')).toEqual([])
  })

  it('a project without a customer CA: the same refusal, saying to upload one', async () => {
    const { emulator } = atlas
    emulator.setCustomerX509(emulator.groupId, null)
    const main = await atlas.step('main', { inputs: ephemeral() })
    expect(main.errors).toEqual([
      expect.objectContaining({
        title: 'Issuer not trusted by the project',
        message: expect.stringContaining('set-customer-x509')
      })
    ])
    expect(writes()).toEqual([])
  })

  it('the root itself as issuer is trusted (the chain may end at the CA Atlas holds)', async () => {
    const main = await atlas.step('main', {
      inputs: ephemeral({
        'issuer-certificate': root.pem,
        'issuer-key': root.keyPem,
        'wait-until-ready': 'false'
      })
    })
    expect(main.errors).toEqual([])
    expect(
      openssl(
        'verify',
        '-CAfile',
        root.file,
        '-untrusted',
        main.outputs['certificate-file']!,
        main.outputs['certificate-file']!
      )
    ).toContain(': OK')
    await atlas.step('post', { inputs: ephemeral(), state: main.state })
  })
})

describe('the issuer is checked before any request', () => {
  // Most rows build their inputs at once; the expired issuer needs its CA made first (async).
  const refusals: Array<
    [string, () => Record<string, string> | Promise<Record<string, string>>, string, RegExp]
  > = [
    [
      'an expired issuer',
      async () => {
        const expired = await expiredCaWithKey('SM Expired CA')
        return { 'issuer-certificate': expired.pem, 'issuer-key': expired.keyPem }
      },
      'issuer-certificate',
      /expired at/
    ],
    [
      'a certificate that is not a CA',
      () => {
        const leaf = selfSigned('sm-leaf', { ca: false })
        return { 'issuer-certificate': leaf.pem, 'issuer-key': leaf.keyPem }
      },
      'issuer-certificate',
      /is not a CA certificate/
    ],
    [
      'a CA whose key usage lacks keyCertSign',
      () => {
        const ca = selfSigned('sm-no-certsign', {
          extensions: ['basicConstraints=critical,CA:TRUE', 'keyUsage=critical,digitalSignature']
        })
        return { 'issuer-certificate': ca.pem, 'issuer-key': ca.keyPem }
      },
      'issuer-certificate',
      /without keyCertSign/
    ],
    [
      'a key that does not match',
      () => ({ 'issuer-certificate': issuing.pem, 'issuer-key': otherRoot.keyPem }),
      'issuer-key',
      /does not belong to CN=SM CI Issuing CA/
    ],
    [
      'a key that is no key',
      () => ({ 'issuer-certificate': issuing.pem, 'issuer-key': issuing.pem }),
      'issuer-key',
      /exactly one private-key block/
    ],
    [
      'a key pasted into issuer-certificate',
      () => ({
        'issuer-certificate': issuing.pem + issuing.keyPem,
        'issuer-key': issuing.keyPem
      }),
      'issuer-certificate',
      /Block 2 is a PRIVATE KEY, not a CERTIFICATE \(the key goes in issuer-key/
    ],
    [
      'intermediates out of order',
      () => ({ 'issuer-certificate': root.pem + issuing.pem, 'issuer-key': root.keyPem }),
      'issuer-certificate',
      /was not issued by the certificate after it/
    ]
  ]

  it.each(refusals)('%s', async (_, given, input, message) => {
    const issuer = await given()
    for (const operation of ['create-ephemeral-user', 'create-certificate']) {
      atlas.emulator.clearRequests()
      const main = await atlas.step('main', {
        inputs: ephemeral({
          operation,
          ...(operation === 'create-certificate' ? { username: 'CN=app,O=Acme' } : {}),
          ...(operation === 'create-certificate' ? { 'subject-suffix': '' } : {}),
          ...issuer
        })
      })
      expect(main.errors).toEqual([
        {
          level: 'error',
          title: `Invalid input: ${input}`,
          message: expect.stringMatching(message)
        }
      ])
      expect(atlasRequests(atlas.emulator)).toEqual([])
    }
  })
})

describe('create-certificate with an issuer', () => {
  const name = 'CN=release,OU=apps,O=Acme'
  const certificate = (extra: Record<string, string> = {}) =>
    atlas.inputs('api-key', {
      operation: 'create-certificate',
      username: name,
      'issuer-certificate': longIssuing.pem,
      'issuer-key': longIssuing.keyPem,
      ...extra
    })

  beforeAll(() => {
    atlas.emulator.addUser(atlas.emulator.groupId, { username: name, x509Type: 'CUSTOMER' })
    atlas.emulator.addUser(atlas.emulator.groupId, { username: 'CN=managed,O=Acme' })
  })

  it('signs for an existing CUSTOMER user: read the user, check the trust, write; no certificate asked of Atlas', async () => {
    const { emulator } = atlas
    const main = await atlas.step('main', { inputs: certificate({ months: '2' }) })
    expect(main.errors).toEqual([])
    expect(main.outputs).toMatchObject({
      issued: 'true',
      username: name,
      subject: name,
      'x509-type': 'CUSTOMER'
    })
    expect(atlasCalls().map(r => `${r.method} ${decodeURIComponent(r.path)}`)).toEqual([
      `GET /api/atlas/v2/groups/${emulator.groupId}/databaseUsers/$external/${name}`,
      `GET /api/atlas/v2/groups/${emulator.groupId}/userSecurity`
    ])
    const file = main.outputs['certificate-file']!
    expect(openssl('verify', '-CAfile', root.file, '-untrusted', file, file)).toContain(': OK')
    const expiry = Date.parse(main.outputs['expires-at']!)
    const twoMonths = new Date()
    twoMonths.setUTCMonth(twoMonths.getUTCMonth() + 2)
    expect(Math.abs(expiry - twoMonths.getTime())).toBeLessThan(60_000)
    expectClientKeyKept(main, file)
  })

  it('a write that fails after signing says the certificate was signed on the runner, not by Atlas', async () => {
    // The disk fills up between the folder's probe and the certificate's write.
    const full: FileSystem = {
      ...nodeFileSystem,
      open: async (path, flags, mode) => {
        if (path.includes('.atlas-x509-probe-')) return nodeFileSystem.open(path, flags, mode)
        throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' })
      }
    }
    const main = await atlas.step('main', { inputs: certificate(), fs: full })
    expect(main.errors).toEqual([
      {
        level: 'error',
        title: 'Certificate file not written',
        message: expect.stringMatching(/ENOSPC.*signed on the runner \(serial [0-9A-F]+, expires/)
      }
    ])
    expect(main.errors[0]!.message).not.toContain('Atlas did issue')
  })

  it('cuts the certificate to the issuer chain expiry, with a warning', async () => {
    const main = await atlas.step('main', {
      inputs: certificate({ months: '3', ...issuerInputs() })
    })
    expect(main.errors).toEqual([])
    const issuerExpiry = new Date(new X509Certificate(issuing.pem).validTo).toISOString()
    expect(main.outputs['expires-at']).toBe(issuerExpiry)
    expect(main.warnings).toEqual([
      expect.objectContaining({ title: 'Certificate cut to the issuer expiry' })
    ])
  })

  it('takes SEC1 (EC) and PKCS#1 (RSA) issuer keys', async () => {
    const rsaRoot = selfSigned('SM RSA Root', { rsa: true })
    atlas.emulator.setCustomerX509(atlas.emulator.groupId, root.pem + rsaRoot.pem)
    for (const ca of [issuing, rsaRoot]) {
      const key = traditionalKey(ca)
      expect(key).toMatch(/-----BEGIN (EC|RSA) PRIVATE KEY-----/)
      atlas.emulator.recordSecret(key)
      const main = await atlas.step('main', {
        inputs: certificate({ months: '1', 'issuer-certificate': ca.pem, 'issuer-key': key })
      })
      expect(main.errors).toEqual([])
      const file = main.outputs['certificate-file']!
      const rootFile = ca === rsaRoot ? rsaRoot.file : root.file
      expect(openssl('verify', '-CAfile', rootFile, '-untrusted', file, file)).toContain(': OK')
    }
  })

  it('a user that does not exist, or is MANAGED: a clear error after one read, nothing signed', async () => {
    const { emulator } = atlas
    for (const [username, title] of [
      ['CN=nobody,O=Acme', 'CUSTOMER user not found'],
      ['CN=managed,O=Acme', 'Not a CUSTOMER X.509 user']
    ]) {
      emulator.clearRequests()
      const runnerTemp = atlas.tempDir('sm-runner-')
      const main = await atlas.step('main', {
        inputs: certificate({ username: username! }),
        runnerTemp
      })
      expect(main.errors).toEqual([expect.objectContaining({ title })])
      expect(atlasCalls()).toHaveLength(1)
      expect(readdirCount(runnerTemp)).toBe(0)
    }
  })

  it('an issuer the project does not trust: 0 writes, no file', async () => {
    const { emulator } = atlas
    emulator.setCustomerX509(emulator.groupId, otherRoot.pem)
    const runnerTemp = atlas.tempDir('sm-runner-')
    const main = await atlas.step('main', { inputs: certificate(), runnerTemp })
    expect(main.errors).toEqual([
      expect.objectContaining({ title: 'Issuer not trusted by the project' })
    ])
    expect(writes()).toEqual([])
    expect(readdirCount(runnerTemp)).toBe(0)
  })

  it('without an issuer, in a project without a customer CA, Atlas issues as before: x509-type MANAGED', async () => {
    atlas.emulator.setCustomerX509(atlas.emulator.groupId, null)
    const main = await atlas.step('main', {
      inputs: atlas.inputs('api-key', { operation: 'create-certificate', username: 'ci-user' })
    })
    expect(main.errors).toEqual([])
    expect(main.outputs).toMatchObject({ subject: 'CN=ci-user', 'x509-type': 'MANAGED' })
  })

  it('without an issuer in a self-managed project, Atlas refuses and the hint names the issuer inputs', async () => {
    const main = await atlas.step('main', {
      inputs: atlas.inputs('api-key', { operation: 'create-certificate', username: 'ci-user' })
    })
    expect(main.errors).toEqual([
      expect.objectContaining({
        title: 'Atlas CANNOT_GENERATE_CERT_IF_ADVANCED_X509 (HTTP 400)',
        message: expect.stringMatching(/`issuer-certificate` and `issuer-key`/)
      })
    ])
  })
})

function readdirCount(folder: string): number {
  return execFileSync('ls', ['-A', folder], { encoding: 'utf8' }).split('\n').filter(Boolean).length
}

describe('issuer input errors', () => {
  const cases: Array<[string, Record<string, string>, string]> = [
    [
      'renew-within-days with an issuer',
      {
        operation: 'create-certificate',
        username: 'CN=a',
        'subject-suffix': '',
        'renew-within-days': '30'
      },
      'renew-within-days'
    ],
    [
      'a username that is no DN',
      { operation: 'create-certificate', username: 'release-bot', 'subject-suffix': '' },
      'username'
    ],
    ['months beside an ephemeral issuer', { months: '2' }, 'months'],
    ['a bad subject-suffix', { 'subject-suffix': 'OU=ci;O=Acme' }, 'subject-suffix'],
    ['a CN in subject-suffix', { 'subject-suffix': 'CN=x,O=Acme' }, 'subject-suffix'],
    ['an unknown key-type', { 'key-type': 'ed25519' }, 'key-type'],
    ['issuer-key alone', { 'issuer-certificate': '' }, 'issuer-certificate'],
    [
      'subject-suffix without an issuer',
      { 'issuer-certificate': '', 'issuer-key': '' },
      'subject-suffix'
    ],
    [
      'key-type without an issuer',
      { 'issuer-certificate': '', 'issuer-key': '', 'subject-suffix': '', 'key-type': 'rsa-2048' },
      'key-type'
    ]
  ]
  it.each(cases)('%s', async (_, extra, input) => {
    const main = await atlas.step('main', { inputs: ephemeral(extra) })
    expect(main.errors).toEqual([expect.objectContaining({ title: `Invalid input: ${input}` })])
    expect(atlasRequests(atlas.emulator)).toEqual([])
  })
})
