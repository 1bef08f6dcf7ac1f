/**
 * The decisions of list-certificates: the order of what was read, who has no usable certificate
 * left, the line that sums it up, and the summary's rows and table.
 */
import {
  certificateTableRows,
  inventoryLine,
  listSummaryRows,
  MAX_TABLE_ROWS,
  projectTableRows,
  takeInventory,
  type CertificateSummary
} from '../../src/operations/list-certificates.js'

const NOW = Date.parse('2026-12-04T10:00:00.000Z')
const GROUP = '32b6e34b3d91647abb20e7b8'
/** The users of one project. */
const owners = (...usernames: string[]) => usernames.map(username => ({ groupId: GROUP, username }))
const DAY = 86_400_000

function certificate(
  username: string,
  id: string,
  daysLeft: number | undefined
): CertificateSummary {
  return {
    username,
    id,
    subject: `CN=${username}`,
    createdAt: '2026-11-01T00:00:00.000Z',
    notAfter: daysLeft === undefined ? '' : new Date(NOW + daysLeft * DAY).toISOString(),
    groupId: GROUP
  }
}

const alice = [certificate('alice', 'a1', 200), certificate('alice', 'a2', 10)]
const bob = [certificate('bob', 'b1', -1)] // expired: read, but not usable
const carol = [certificate('carol', 'c1', undefined)] // unreadable: may still be valid
const dave = [certificate('dave', 'd1', 10)]

describe('takeInventory', () => {
  const usernames = owners('alice', 'bob', 'carol', 'dave', 'erin')
  const perUser = [alice, bob, carol, dave, []]

  it('sorts by expiry, unreadable last, ties by user', () => {
    const { certificates, dated, undated } = takeInventory(usernames, perUser, NOW, true)
    expect(certificates.map(c => c.id)).toEqual(['b1', 'a2', 'd1', 'a1', 'c1'])
    expect(dated.map(c => c.id)).toEqual(['b1', 'a2', 'd1', 'a1'])
    expect(undated.map(c => c.id)).toEqual(['c1'])
  })

  it('users without a usable certificate: none left unexpired, or none at all; never one with an unreadable date', () => {
    expect(takeInventory(usernames, perUser, NOW, true).usersWithout).toEqual(owners('bob', 'erin'))
  })

  it('one user asked for by name: never listed as without', () => {
    expect(takeInventory(owners('bob'), [bob], NOW, false).usersWithout).toEqual([])
  })

  it('a certificate without createdAt is undated too', () => {
    const noCreated = { ...certificate('frank', 'f1', 5), createdAt: '' }
    expect(takeInventory(owners('frank'), [[noCreated]], NOW, true).undated).toEqual([noCreated])
  })
})

describe('inventoryLine', () => {
  it('none: says so, in the grammar of one user or many', () => {
    const empty = takeInventory(owners('bob'), [[]], NOW, false)
    expect(inventoryLine(empty, 'bob', true)).toBe('bob has no unexpired certificates.')
    expect(inventoryLine(empty, '3 Atlas-managed X.509 user(s)', false)).toBe(
      '3 Atlas-managed X.509 user(s) have no unexpired certificates.'
    )
  })

  it('some: how many, the next and the latest expiry, and how many users have none', () => {
    const inventory = takeInventory(owners('alice', 'erin'), [alice, []], NOW, true)
    expect(inventoryLine(inventory, '2 Atlas-managed X.509 user(s)', false)).toBe(
      `2 Atlas-managed X.509 user(s): 2 unexpired certificate(s); the next expires at ${alice[1]!.notAfter}, the latest at ${alice[0]!.notAfter}. 1 of them has no unexpired certificate.`
    )
  })

  it('only unreadable expiries: says none is readable', () => {
    const inventory = takeInventory(owners('carol'), [carol], NOW, false)
    expect(inventoryLine(inventory, 'carol', true)).toBe(
      'carol: 1 unexpired certificate(s), none with a readable expiry.'
    )
  })
})

describe('the summary', () => {
  const inventory = takeInventory(owners('alice', 'carol', 'erin'), [alice, carol, []], NOW, true)

  it('rows for one user, and for the whole project', () => {
    expect(listSummaryRows('alice', 1, inventory, 30, 1)).toEqual([
      ['User', 'alice'],
      ['Unexpired certificates', '3'],
      ['Users to renew within 30 days', '1']
    ])
    expect(listSummaryRows(undefined, 3, inventory, 30, 1)).toEqual([
      ['Atlas-managed X.509 users', '3'],
      ['Unexpired certificates', '3'],
      ['Users without an unexpired certificate', '1'],
      ['Users to renew within 30 days', '1']
    ])
  })

  it('a row for the expired ephemeral users left unread, only when there are some', () => {
    expect(listSummaryRows(undefined, 3, inventory, 30, 1, undefined, 2)).toEqual([
      ['Atlas-managed X.509 users', '3'],
      ['Expired ephemeral users (certificates not read)', '2'],
      ['Unexpired certificates', '3'],
      ['Users without an unexpired certificate', '1'],
      ['Users to renew within 30 days', '1']
    ])
    expect(listSummaryRows(undefined, 3, inventory, 30, 1, undefined, 0)).toEqual(
      listSummaryRows(undefined, 3, inventory, 30, 1)
    )
  })

  it('the table: users without first, then each certificate with its days left and status', () => {
    const newest = new Set([alice[0]!])
    expect(certificateTableRows(inventory, newest, 30, NOW)).toEqual([
      ['erin', '', '', '', '', 'none'],
      ['alice', 'a2', 'CN=alice', alice[1]!.notAfter, '10', 'ok'],
      ['alice', 'a1', 'CN=alice', alice[0]!.notAfter, '200', 'ok'],
      ['carol', 'c1', 'CN=carol', 'unreadable', '', 'unknown']
    ])
    const soon = new Set([alice[1]!])
    expect(certificateTableRows(inventory, soon, 30, NOW)[1]![5]).toBe('renew soon')
  })

  it(`the table stops at ${MAX_TABLE_ROWS} rows and says how many more there are`, () => {
    const many = Array.from({ length: MAX_TABLE_ROWS + 5 }, (_, i) => [
      certificate(`u${i}`, `id${i}`, 100)
    ])
    const big = takeInventory(owners(...many.map((_, i) => `u${i}`)), many, NOW, true)
    const rows = certificateTableRows(big, new Set(), 30, NOW)
    expect(rows).toHaveLength(MAX_TABLE_ROWS + 1)
    expect(rows.at(-1)).toEqual(['…', '5 more rows not listed here', '', '', '', ''])
  })
})

describe("the organisation's table of projects", () => {
  const OTHER = 'a48ebbf911a41d2c62f46e56'
  const user = (username: string) => ({ username, databaseName: '$external', x509Type: 'MANAGED' })
  const read = {
    projects: [
      { project: { id: GROUP, name: 'north' }, users: ['alice', 'old-1', 'old-2'].map(user) },
      { project: { id: OTHER, name: 'south' }, users: ['bob'].map(user) }
    ],
    skipped: [
      { groupId: '0f218c3c4ab066e685c95582', name: 'locked', error: '403 USER_UNAUTHORIZED' }
    ],
    limits: new Map([[GROUP, 3]])
  }

  it("each project's expired ephemeral users, counted apart from those read; every user counts against the limit", () => {
    const rows = projectTableRows(
      read,
      [
        { groupId: GROUP, username: 'alice' },
        { groupId: OTHER, username: 'bob' }
      ],
      [alice, []],
      owners('old-1', 'old-2')
    )
    expect(rows).toEqual([
      [GROUP, 'north', '3 of 3', '1', '2', '2', 'near the user limit'],
      [OTHER, 'south', '1', '1', '0', '0', 'read'],
      ['0f218c3c4ab066e685c95582', 'locked', '', '', '', '', 'skipped: 403 USER_UNAUTHORIZED']
    ])
  })
})
