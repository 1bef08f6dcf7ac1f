import { expect } from '@jest/globals'
import { X509Certificate } from 'node:crypto'
import { atlasRequests, CREDENTIAL_KINDS, atlasForFile } from '../support/inprocess.js'
import { expiredCa, intermediateCa, leafCertificate, rootCa, writeTemp } from '../support/pki.js'

const atlas = atlasForFile()
beforeEach(() => {
  atlas.emulator.setCustomerX509(atlas.emulator.groupId, null)
})

const root = rootCa('Test Root CA', 365)
const intermediate = intermediateCa('Test Issuing CA', root, 200)
const notAfter = (pem: string) => new Date(new X509Certificate(pem).validTo).toISOString()
const set = (kind: 'api-key' | 'service-account', extra: Record<string, string>) =>
  atlas.step('main', { inputs: atlas.inputs(kind, { operation: 'set-customer-x509', ...extra }) })

describe('get-customer-x509', () => {
  it.each(CREDENTIAL_KINDS)('reports the CA of a project that has one (%s)', async kind => {
    const { emulator } = atlas
    const main = await atlas.step('main', {
      inputs: atlas.inputs(kind, {
        operation: 'get-customer-x509',
        'group-id': emulator.otherGroupId,
        'expiry-warning-days': '400'
      })
    })
    expect(main.exitCode).toBe(0)
    const pem = emulator.customerX509(emulator.otherGroupId)!
    expect(main.outputs).toMatchObject({
      'customer-x509-enabled': 'true',
      'ca-count': '1',
      'ca-expires-at': notAfter(pem)
    })
    expect(main.outputs['ca-certificates']).toBe(pem)
    expect(main.masks).not.toContain(pem.trim())
    expect(main.warnings).toHaveLength(1)
    expect(atlasRequests(emulator)).toHaveLength(2)
  })

  it('reports a project without one', async () => {
    const main = await atlas.step('main', {
      inputs: atlas.inputs('api-key', { operation: 'get-customer-x509' })
    })
    expect(main.outputs).toEqual({
      'customer-x509-enabled': 'false',
      'ca-certificates': '',
      'ca-count': '0',
      'ca-expires-at': ''
    })
    expect(main.warnings).toEqual([])
  })
})

describe('set-customer-x509', () => {
  it.each(CREDENTIAL_KINDS)(
    'uploads a CA (%s): read, PATCH, restart warning, outputs',
    async kind => {
      const { emulator } = atlas
      const restarts = emulator.restarts(emulator.groupId)
      const main = await set(kind, { 'ca-certificates': root.pem })
      expect(main.exitCode).toBe(0)
      expect(main.outputs).toEqual({
        'customer-x509-enabled': 'true',
        'ca-count': '1',
        'ca-expires-at': notAfter(root.pem)
      })
      expect(main.warnings).toEqual([
        expect.objectContaining({ title: 'Rolling restart of the project clusters' })
      ])
      const patch = atlasRequests(emulator).find(r => r.method === 'PATCH')!
      expect(patch.status).toBe(202)
      expect(JSON.parse(patch.body)).toEqual({ customerX509: { cas: root.pem } })
      expect(emulator.restarts(emulator.groupId)).toBe(restarts + 1)
      expect(atlasRequests(emulator)).toHaveLength(3)
    }
  )

  it.each(CREDENTIAL_KINDS)(
    'a dropped answer to PATCH userSecurity (%s): no second PATCH, Atlas read back',
    async kind => {
      const { emulator } = atlas
      emulator.fault({ method: 'PATCH', path: /\/userSecurity$/, kind: 'lose-answer' })
      const restarts = emulator.restarts(emulator.groupId)
      const main = await set(kind, { 'ca-certificates': root.pem })
      expect(
        atlasRequests(emulator).filter(
          r => r.method === 'PATCH' && r.path.endsWith('/userSecurity')
        )
      ).toHaveLength(1)
      expect(emulator.restarts(emulator.groupId)).toBe(restarts + 1)
      // The PATCH took effect: what Atlas holds says so, and the step succeeds.
      expect(main.exitCode).toBe(0)
      expect(main.log).toMatch(/answer was lost, but Atlas now holds these CA certificates/)
    }
  )

  it('keeps a chain whole and in order, from a file', async () => {
    const chain = intermediate + root.pem
    const main = await set('api-key', {
      'ca-file': writeTemp('chain.pem', chain.replace(/\n/g, '\r\n'))
    })
    expect(main.exitCode).toBe(0)
    expect(main.outputs['ca-count']).toBe('2')
    expect(main.outputs['ca-expires-at']).toBe(notAfter(intermediate))
    expect(atlas.emulator.customerX509(atlas.emulator.groupId)).toBe(chain)
  })

  it('sends nothing when Atlas already holds the same certificates', async () => {
    const { emulator } = atlas
    emulator.setCustomerX509(emulator.groupId, root.pem + intermediate)
    const restarts = emulator.restarts(emulator.groupId)
    const main = await set('service-account', {
      'ca-certificates': `\n${intermediate}\n\n${root.pem}`
    })
    expect(main.exitCode).toBe(0)
    expect(main.warnings).toEqual([])
    expect(main.log).toContain('nothing was sent')
    expect(atlasRequests(emulator).filter(r => r.method === 'PATCH')).toHaveLength(0)
    expect(emulator.restarts(emulator.groupId)).toBe(restarts)
  })

  it('replaces a different CA', async () => {
    const other = rootCa('Old Root CA')
    atlas.emulator.setCustomerX509(atlas.emulator.groupId, other.pem)
    const main = await set('api-key', { 'ca-certificates': root.pem })
    expect(main.warnings[0]!.message).toMatch(/replaced/)
    expect(atlas.emulator.customerX509(atlas.emulator.groupId)).toBe(root.pem)
  })

  // One row builds its inputs asynchronously: the table's type says so, for the await below.
  type Inputs = () => Record<string, string> | Promise<Record<string, string>>
  it.each<[string, Inputs, string, RegExp]>([
    [
      'a leaf (non-CA) certificate',
      () => ({ 'ca-certificates': leafCertificate('leaf.example') }),
      'ca-certificates',
      /not a CA certificate/
    ],
    [
      'an expired CA',
      async () => ({ 'ca-certificates': await expiredCa('Expired CA') }),
      'ca-certificates',
      /expired on/
    ],
    [
      'garbage text',
      () => ({ 'ca-certificates': 'not a certificate' }),
      'ca-certificates',
      /No PEM certificate block/
    ],
    [
      'a private key',
      () => ({
        'ca-certificates': `${root.pem}-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n`
      }),
      'ca-certificates',
      /never upload a private key/
    ],
    [
      'both inputs',
      () => ({ 'ca-certificates': root.pem, 'ca-file': root.file }),
      'ca-certificates',
      /Both/
    ],
    ['neither input', () => ({}), 'ca-certificates', /No CA was given/],
    [
      'a missing file: what to check',
      () => ({ 'ca-file': '/nonexistent/ca.pem' }),
      'ca-file',
      /Cannot read \/nonexistent\/ca\.pem \(ENOENT\)\. A relative path is read from the workspace: .*actions\/checkout ran before this step/
    ],
    [
      'a leaf in a file',
      () => ({ 'ca-file': writeTemp('leaf.pem', leafCertificate('leaf2.example')) }),
      'ca-file',
      /not a CA/
    ]
  ])('refuses %s before any request', async (_, inputs, name, message) => {
    const main = await set('api-key', await inputs())
    expect(main.exitCode).toBe(1)
    expect(main.errors).toEqual([
      { level: 'error', title: `Invalid input: ${name}`, message: expect.stringMatching(message) }
    ])
    expect(main.errors[0]!.message).not.toContain('AAAA')
    expect(atlasRequests(atlas.emulator)).toHaveLength(0)
  })

  it("Atlas's EXPIRED_X509_CA_CERTIFICATE gets its hint", async () => {
    atlas.emulator.fault({
      method: 'PATCH',
      path: /userSecurity$/,
      kind: 'status',
      status: 400,
      errorCode: 'EXPIRED_X509_CA_CERTIFICATE',
      detail: 'The X.509 CA certificate has expired.'
    })
    const main = await set('api-key', { 'ca-certificates': root.pem })
    expect(main.errors).toEqual([
      {
        level: 'error',
        title: 'Atlas EXPIRED_X509_CA_CERTIFICATE (HTTP 400)',
        message: expect.stringMatching(
          /^The X.509 CA certificate has expired. .*openssl x509 -enddate/
        )
      }
    ])
  })
})
