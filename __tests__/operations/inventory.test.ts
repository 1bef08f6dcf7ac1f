import {
  atlasRequests,
  CREDENTIAL_KINDS,
  startAtlas,
  type InProcessAtlas as Atlas
} from '../support/inprocess.js'

let atlas: Atlas
beforeAll(async () => {
  atlas = await startAtlas({ maxPageSize: 3 })
})
afterAll(() => atlas.close())
beforeEach(() => atlas.emulator.clearRequests())

const DAY = 86_400_000

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
    const main = await atlas.step('main', {
      inputs: atlas.inputs('api-key', {
        operation: 'list-certificates',
        username: 'inventory-user'
      })
    })
    expect(main.exitCode).toBe(0)
    const certificates = JSON.parse(main.outputs.certificates!) as Array<{
      username: string
      id: string
      subject: string
      createdAt: string
      notAfter: string
    }>
    expect(certificates.map(c => c.id)).toEqual([
      '2039020905786260978',
      '9223372036854775807',
      '2039020905786260982',
      '2039020905786260981',
      '9007199254740993',
      '2039020905786260979'
    ])
    expect(Object.keys(certificates[0]!)).toEqual([
      'username',
      'id',
      'subject',
      'createdAt',
      'notAfter'
    ])
    expect(certificates.every(c => c.username === 'inventory-user')).toBe(true)
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

    const wider = await atlas.step('main', {
      inputs: atlas.inputs('service-account', {
        operation: 'list-certificates',
        username: 'inventory-user',
        'expiry-warning-days': '100'
      })
    })
    expect(wider.warnings).toEqual([])
    const widest = await atlas.step('main', {
      inputs: atlas.inputs('service-account', {
        operation: 'list-certificates',
        username: 'inventory-user',
        'expiry-warning-days': '500'
      })
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
      const main = await atlas.step('main', {
        inputs: atlas.inputs(kind, { operation: 'list-certificates', username: 'release-bot' })
      })
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
    const main = await atlas.step('main', {
      inputs: atlas.inputs('api-key', { operation: 'list-certificates', username: 'nobody' })
    })
    expect(main.errors).toEqual([
      expect.objectContaining({ title: 'Atlas USERNAME_NOT_FOUND (HTTP 404)' })
    ])
  })

  it('expiry-warning-days must be a whole number', async () => {
    const main = await atlas.step('main', {
      inputs: atlas.inputs('api-key', {
        operation: 'list-certificates',
        username: 'x',
        'expiry-warning-days': 'soon'
      })
    })
    expect(main.errors).toEqual([
      expect.objectContaining({ title: 'Invalid input: expiry-warning-days' })
    ])
    expect(atlasRequests(atlas.emulator)).toHaveLength(0)
  })
})
