import { expect } from '@jest/globals'
import {
  atlasRequests,
  CREDENTIAL_KINDS,
  CERTIFICATE_ENTRY_FIELDS,
  atlasForFile,
  startAtlas,
  type CredentialKind,
  type InProcessAtlas as Atlas
} from '../support/inprocess.js'

const atlas = atlasForFile({ maxPageSize: 3 })

const DAY = 86_400_000

/** A list-certificates main step with `kind` credentials and these inputs. */
const listCertificates = (kind: CredentialKind, inputs: Record<string, string>) =>
  atlas.step('main', { inputs: atlas.inputs(kind, { operation: 'list-certificates', ...inputs }) })

describe('list-certificates', () => {
  it('reads every page, keeps int64 ids exact, sorts by expiry, and warns before expiry', async () => {
    const { emulator } = atlas
    emulator.addUser(emulator.groupId, { username: 'inventory-user' })
    const now = Date.now()
    const records = [
      { id: '9007199254740993', days: 200 }, // 2^53 + 1: a JavaScript number would make it …992
      { id: '2039020905786260978', days: 5 },
      { id: '2039020905786260979', days: 400 },
      { id: '9223372036854775807', days: 20 },
      { id: '2039020905786260981', days: 90 },
      { id: '2039020905786260982', days: 31 },
      { id: '2039020905786260983', days: -2 } // expired: Atlas does not list it
    ]
    for (const r of records) {
      emulator.addCertificateRecord(emulator.groupId, 'inventory-user', {
        id: r.id,
        createdAt: new Date(now - DAY),
        notAfter: new Date(now + r.days * DAY),
        subject: 'CN=inventory-user'
      })
    }
    const main = await listCertificates('api-key', { username: 'inventory-user' })
    expect(main.exitCode).toBe(0)
    const certificates = JSON.parse(main.outputs.certificates!) as Array<{
      username: string
      id: string
      subject: string
      createdAt: string
      notAfter: string
      groupId: string
    }>
    expect(certificates.map(c => c.id)).toEqual([
      '2039020905786260978',
      '9223372036854775807',
      '2039020905786260982',
      '2039020905786260981',
      '9007199254740993',
      '2039020905786260979'
    ])
    expect(Object.keys(certificates[0]!)).toEqual(CERTIFICATE_ENTRY_FIELDS)
    expect(certificates.every(c => c.username === 'inventory-user')).toBe(true)
    expect(certificates.every(c => c.groupId === atlas.emulator.groupId)).toBe(true)
    expect(main.outputs.count).toBe('6')
    expect(main.outputs['next-expiry']).toBe(
      new Date(Math.floor((now + 5 * DAY) / 1000) * 1000).toISOString()
    )
    expect(main.outputs['latest-expiry']).toBe(certificates[5]!.notAfter)
    // Only the user's newest certificate (400 days) matters: the 5- and 20-day ones are superseded.
    expect(main.warnings).toEqual([])
    expect(main.summary).toMatch(/renew soon|ok/)
    expect(main.summary).toContain('9007199254740993')
    // Pages of 3 although 500 were asked for: 6 certificates, 2 pages, and the raw body carried the ids as numbers.
    const pages = atlasRequests(atlas.emulator).filter(r => r.status === 200)
    expect(pages).toHaveLength(2)
    expect(pages[0]!.path).toMatch(/itemsPerPage=500&pageNum=1/)

    const wider = await listCertificates('service-account', {
      username: 'inventory-user',
      'expiry-warning-days': '100'
    })
    expect(wider.warnings).toEqual([])
    const widest = await listCertificates('service-account', {
      username: 'inventory-user',
      'expiry-warning-days': '500'
    })
    expect(widest.warnings).toEqual([
      expect.objectContaining({
        title: 'Certificate expires soon',
        message: expect.stringContaining('2039020905786260979')
      })
    ])
  })

  it.each(CREDENTIAL_KINDS)(
    'one page takes 2 requests with %s credentials; no certificates is fine',
    async kind => {
      const main = await listCertificates(kind, { username: 'release-bot' })
      expect(main.exitCode).toBe(0)
      expect(main.outputs).toMatchObject({
        certificates: '[]',
        count: '0',
        'next-expiry': '',
        'latest-expiry': ''
      })
      expect(atlasRequests(atlas.emulator)).toHaveLength(2)
    }
  )

  it('an unknown user: USERNAME_NOT_FOUND with its hint', async () => {
    const main = await listCertificates('api-key', { username: 'nobody' })
    expect(main.errors).toEqual([
      expect.objectContaining({ title: 'Atlas USERNAME_NOT_FOUND (HTTP 404)' })
    ])
  })

  it('expiry-warning-days must be a whole number', async () => {
    const main = await listCertificates('api-key', { username: 'x', 'expiry-warning-days': 'soon' })
    expect(main.errors).toEqual([
      expect.objectContaining({ title: 'Invalid input: expiry-warning-days' })
    ])
    expect(atlasRequests(atlas.emulator)).toHaveLength(0)
  })
})

describe('list-certificates without username: users with no certificate left', () => {
  // A project of its own: the main project's users gain certificates in other tests.
  const listOther = (extra: Record<string, string> = {}) =>
    listCertificates('api-key', { 'group-id': atlas.emulator.otherGroupId, ...extra })
  const addUserWithCertificate = (username: string, daysLeft: number) => {
    const { emulator } = atlas
    emulator.addUser(emulator.otherGroupId, { username })
    emulator.addCertificateRecord(emulator.otherGroupId, username, {
      createdAt: new Date(Date.now() - 400 * DAY),
      notAfter: new Date(Date.now() + daysLeft * DAY),
      subject: `CN=${username}`
    })
  }

  it('lists them in an output, the summary (status none) and a warning each; one warning for many', async () => {
    const { emulator } = atlas
    addUserWithCertificate('with-certificate', 200)
    addUserWithCertificate('all-expired', -3)
    emulator.addUser(emulator.otherGroupId, { username: 'never-issued' })
    // Not Atlas-managed X.509: no certificates to have.
    emulator.addUser(emulator.otherGroupId, { username: 'ldap-only', x509Type: 'NONE' })
    const main = await listOther()
    expect(main.errors).toEqual([])
    expect(JSON.parse(main.outputs['users-without-certificate']!)).toEqual([
      'all-expired',
      'never-issued'
    ])
    expect(main.outputs.count).toBe('1')
    expect(main.warnings).toEqual(
      ['all-expired', 'never-issued'].map(name => ({
        level: 'warning',
        title: 'No unexpired certificate',
        message: expect.stringContaining(
          `The Atlas-managed X.509 user ${name} has no unexpired certificate`
        )
      }))
    )
    const table = main.summaries.find(s => s.heading === 'Certificates by days left')!
    expect(table.rows).toContainEqual(['never-issued', '', '', '', '', 'none'])
    expect(table.rows).toContainEqual(['all-expired', '', '', '', '', 'none'])
    expect(main.summaries[0]!.rows).toContainEqual(['Users without an unexpired certificate', '2'])

    // Twelve more without, and twelve certificates about to expire: still 10 warnings at most.
    for (let i = 0; i < 12; i++) {
      emulator.addUser(emulator.otherGroupId, { username: `bare-${i}` })
      addUserWithCertificate(`expiring-${i}`, 3)
    }
    const crowded = await listOther()
    expect(JSON.parse(crowded.outputs['users-without-certificate']!)).toHaveLength(14)
    expect(crowded.warnings.length).toBeLessThanOrEqual(10)
    expect(crowded.warnings.filter(w => w.title === 'No unexpired certificate')).toEqual([
      {
        level: 'warning',
        title: 'No unexpired certificate',
        message: expect.stringMatching(
          /^14 Atlas-managed X\.509 users have no unexpired certificate \(the users-without-certificate output lists them all\): all-expired, .* … and 4 more\./
        )
      }
    ])
    expect(crowded.warnings.at(-1)).toEqual(
      expect.objectContaining({
        title: 'Certificate expires soon',
        message: expect.stringMatching(/^\d+ more expire within 30 days/)
      })
    )
  })

  it('with username: no users-without-certificate output', async () => {
    const main = await listCertificates('api-key', { username: 'release-bot' })
    expect(main.errors).toEqual([])
    expect(main.outputs['users-without-certificate']).toBeUndefined()
  })
})

describe('list-certificates across many users keeps memory and outputs bounded', () => {
  let own: Atlas
  beforeAll(async () => {
    own = await startAtlas()
  })
  afterAll(() => own.close())

  /** Every user's certificate list answers the same 500 records (distinct within a user). */
  const certificatePages = () =>
    own.emulator.fault({
      method: 'GET',
      path: /\/certs$/,
      kind: 'body',
      times: Infinity,
      body: JSON.stringify({
        results: Array.from({ length: 500 }, (_, i) => ({
          _id: 1_000_000 + i,
          subject: `CN=user-${i}`,
          createdAt: '2026-01-01T00:00:00Z',
          notAfter: new Date(Date.now() + (100 + i) * DAY).toISOString().replace(/\.\d+Z$/, 'Z')
        })),
        totalCount: 500
      })
    })
  const addUsers = (from: number, to: number) => {
    for (let i = from; i < to; i++)
      own.emulator.addUser(own.emulator.otherGroupId, { username: `bulk-${i}` })
  }
  const listAll = () =>
    own.step('main', {
      inputs: own.inputs('api-key', {
        operation: 'list-certificates',
        'group-id': own.emulator.otherGroupId
      })
    })

  it('keeps the certificates output under 1 MB and the summary table short, and says so', async () => {
    addUsers(0, 25)
    certificatePages()
    const main = await listAll()
    expect(main.errors).toEqual([])
    expect(main.outputs.count).toBe('12500')
    const output = main.outputs.certificates!
    expect(Buffer.byteLength(output)).toBeLessThanOrEqual(1_000_000)
    const kept = JSON.parse(output) as unknown[]
    expect(kept.length).toBeGreaterThan(1000)
    expect(kept.length).toBeLessThan(12_500)
    expect(main.warnings).toContainEqual({
      level: 'warning',
      title: 'Certificates output cut',
      message: expect.stringContaining(
        `holds the ${kept.length} soonest-expiring of 12500 certificates`
      )
    })
    const table = main.summaries.find(s => s.heading === 'Certificates by days left')!
    // The header row, 200 rows and one that counts the rest.
    expect(table.rows).toHaveLength(202)
    expect(table.rows.at(-1)).toEqual(['…', '12300 more rows not listed here', '', '', '', ''])
  })

  it('refuses more than 100,000 certificates with one titled error, and reads no user after that', async () => {
    addUsers(25, 250)
    certificatePages()
    own.emulator.clearRequests()
    const main = await listAll()
    expect(main.errors).toEqual([
      {
        level: 'error',
        title: 'Too many certificates',
        message: expect.stringMatching(
          /^100\d{3} certificates from 20\d of 250 user\(s\) read so far, more than the 100000 that list-certificates holds in one step; .*username input/
        )
      }
    ])
    const certLists = own.emulator.requests.filter(r => r.auth !== null && /\/certs\?/.test(r.path))
    expect(certLists.length).toBeLessThan(210)
    expect(main.outputs.certificates).toBeUndefined()
  })
})
