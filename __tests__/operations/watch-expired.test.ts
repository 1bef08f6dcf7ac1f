/**
 * The watch (list-certificates without username) does not read the certificates of the ephemeral
 * users prune-ephemeral-users would delete as expired: it counts and names them instead, in one
 * project and across an organisation, while every user still counts against the user limit.
 */
import { expect } from '@jest/globals'
import { seedOrganisation } from '../../scripts/bench/latency.js'
import {
  atlasForFile,
  atlasRequests,
  ephemeralUserSeed,
  organisationInputs,
  type StepResult
} from '../support/inprocess.js'

const atlas = atlasForFile()

const DAY = 86_400_000
const HOUR = 3_600_000
const ROW = 'Expired ephemeral users (certificates not read)'
const TITLE = 'Expired ephemeral users'

/** Each certificate list the step read, as `groupId/username` (one per request). */
function certificateReads(): string[] {
  return atlasRequests(atlas.emulator)
    .filter(r => r.auth !== null && r.method === 'GET')
    .flatMap(r => {
      const match = /\/groups\/([^/]+)\/databaseUsers\/([^/?]+)\/certs(?:\?|$)/.exec(r.path)
      return match ? [`${match[1]}/${decodeURIComponent(match[2]!)}`] : []
    })
    .sort()
}

/** A user this action created, with its expires-at label. */
function ephemeral(groupId: string, username: string, expiresAt: string, certificateDays?: number) {
  atlas.emulator.addUser(groupId, ephemeralUserSeed(username, expiresAt))
  if (certificateDays !== undefined) certificate(groupId, username, certificateDays)
}

/** An Atlas-managed X.509 user without this action's labels. */
function plain(groupId: string, username: string, certificateDays: number) {
  atlas.emulator.addUser(groupId, { username, databaseName: '$external', x509Type: 'MANAGED' })
  certificate(groupId, username, certificateDays)
}

function certificate(groupId: string, username: string, days: number) {
  atlas.emulator.addCertificateRecord(groupId, username, {
    createdAt: new Date(Date.now() - DAY),
    notAfter: new Date(Date.now() + days * DAY),
    subject: `CN=${username}`
  })
}

const listed = (main: StepResult) =>
  (JSON.parse(main.outputs.certificates!) as Array<{ groupId: string; username: string }>)
    .map(c => `${c.groupId}/${c.username}`)
    .sort()
const rowsOf = (main: StepResult) =>
  main.summaries.find(s => s.heading.startsWith('Atlas X.509 certificates'))!.rows
const expiredWarnings = (main: StepResult) => main.warnings.filter(w => w.title === TITLE)

describe('one project', () => {
  let groupId: string
  const anHourAgo = () => new Date(Date.now() - HOUR).toISOString()
  const watch = (extra: Record<string, string> = {}) =>
    atlas.step('main', {
      inputs: atlas.inputs('api-key', {
        operation: 'list-certificates',
        'group-id': groupId,
        ...extra
      })
    })

  beforeAll(() => {
    groupId = atlas.emulator.addProject(atlas.emulator.addOrganisation(), { name: 'one' })
    plain(groupId, 'app', 100)
    // A job still running: read as today.
    ephemeral(groupId, 'gha-live', '2099-01-01T00:00:00.000Z', 20)
    // Prune never reads this label as past: neither does the watch.
    ephemeral(groupId, 'gha-undated', 'tomorrow', 40)
    ephemeral(groupId, 'gha-old', anHourAgo(), 25)
    ephemeral(groupId, 'gha-older', '2026-01-01T00:00:00.000Z')
  })

  it('reads no certificate of an expired ephemeral user, one list of every other managed user', async () => {
    const main = await watch()
    expect(main.errors).toEqual([])
    expect(certificateReads()).toEqual(
      ['app', 'gha-live', 'gha-undated'].map(username => `${groupId}/${username}`)
    )
    expect(listed(main)).toEqual(
      ['app', 'gha-live', 'gha-undated'].map(username => `${groupId}/${username}`)
    )
    expect(main.outputs.count).toBe('3')
    // Not read, so not called a user without a certificate (gha-older has none).
    expect(main.outputs['users-without-certificate']).toBe('[]')
    expect(main.warnings.map(w => w.title)).not.toContain('No unexpired certificate')
  })

  it('counts them in the summary, names them in one warning, and keeps the info line about those read', async () => {
    const main = await watch()
    const rows = rowsOf(main)
    expect(rows).toContainEqual(['Atlas-managed X.509 users', '3'])
    expect(rows).toContainEqual([ROW, '2'])
    expect(expiredWarnings(main)).toEqual([
      {
        level: 'warning',
        title: TITLE,
        message: expect.stringMatching(
          /^2 ephemeral user\(s\) created by this action are past their expires-at and not yet deleted: gha-old(er)?, gha-old(er)?\. Their certificates were not read\. prune-ephemeral-users deletes them/
        )
      }
    ])
    expect(expiredWarnings(main)[0]!.message).toContain(
      "count against their project's database-user limit"
    )
    expect(main.info).toContainEqual(
      expect.stringMatching(
        /^3 Atlas-managed X\.509 user\(s\) \(not counting 2 expired ephemeral user\(s\), whose certificates were not read\): 3 unexpired certificate\(s\);/
      )
    )
  })

  it('skips exactly the users a dry-run prune would delete', async () => {
    await watch()
    const notRead = ['gha-old', 'gha-older']
    for (const username of notRead)
      expect(certificateReads()).not.toContain(`${groupId}/${username}`)
    const prune = await atlas.step('main', {
      inputs: atlas.inputs('api-key', {
        operation: 'prune-ephemeral-users',
        'group-id': groupId,
        'dry-run': 'true'
      })
    })
    expect((JSON.parse(prune.outputs.pruned!) as string[]).sort()).toEqual(notRead)
  })

  it('with username, the named user is read even when expired', async () => {
    const main = await watch({ username: 'gha-old' })
    expect(main.errors).toEqual([])
    expect(certificateReads()).toEqual([`${groupId}/gha-old`])
    expect(listed(main)).toEqual([`${groupId}/gha-old`])
    expect(expiredWarnings(main)).toEqual([])
    expect(rowsOf(main).map(([label]) => label)).not.toContain(ROW)
  })

  it('every user counts against the database-user limit, the expired ephemeral ones too', async () => {
    // 5 users of a limit of 5: 100 %. Without the 2 expired ones it would be 60 %.
    atlas.emulator.setUserLimit(groupId, 5)
    try {
      const main = await watch()
      expect(main.warnings).toContainEqual({
        level: 'warning',
        title: 'Near the database-user limit',
        message: expect.stringContaining('holds 5 of its 5 database users')
      })
      expect(expiredWarnings(main)).toHaveLength(1)
    } finally {
      atlas.emulator.setUserLimit(groupId, 100)
    }
  })
})

it('no expired ephemeral user: no row, no warning, the info line as before', async () => {
  const groupId = atlas.emulator.addProject(atlas.emulator.addOrganisation(), { name: 'clean' })
  plain(groupId, 'app', 100)
  ephemeral(groupId, 'gha-live', '2099-01-01T00:00:00.000Z', 20)
  const main = await atlas.step('main', {
    inputs: atlas.inputs('api-key', { operation: 'list-certificates', 'group-id': groupId })
  })
  expect(certificateReads()).toHaveLength(2)
  expect(rowsOf(main).map(([label]) => label)).not.toContain(ROW)
  expect(expiredWarnings(main)).toEqual([])
  expect(main.info).toContainEqual(
    expect.stringMatching(/^2 Atlas-managed X\.509 user\(s\): 2 unexpired certificate\(s\);/)
  )
})

it('the warning keeps within the step’s budget of 10, the expiry warnings summing up the rest', async () => {
  const groupId = atlas.emulator.addProject(atlas.emulator.addOrganisation(), { name: 'busy' })
  for (let i = 0; i < 12; i++) plain(groupId, `app-${String(i).padStart(2, '0')}`, 5)
  ephemeral(groupId, 'gha-old', '2026-01-01T00:00:00.000Z', 5)
  const main = await atlas.step('main', {
    inputs: atlas.inputs('api-key', { operation: 'list-certificates', 'group-id': groupId })
  })
  expect(main.warnings).toHaveLength(10)
  expect(expiredWarnings(main)).toHaveLength(1)
  expect(main.warnings.at(-1)).toEqual({
    level: 'warning',
    title: 'Certificate expires soon',
    message: expect.stringMatching(/^4 more expire within 30 days/)
  })
})

describe('an organisation of two projects', () => {
  let orgId: string
  let north: string
  let south: string

  beforeAll(() => {
    const { emulator } = atlas
    orgId = emulator.addOrganisation()
    north = emulator.addProject(orgId, { name: 'north' })
    south = emulator.addProject(orgId, { name: 'south' })
    plain(north, 'app', 100)
    ephemeral(north, 'gha-old-a', '2026-01-01T00:00:00.000Z', 10)
    ephemeral(north, 'gha-old-b', '2026-02-01T00:00:00.000Z')
    plain(south, 'app', 100)
    ephemeral(south, 'gha-live', '2099-01-01T00:00:00.000Z', 20)
    ephemeral(south, 'gha-old-c', '2026-03-01T00:00:00.000Z', 10)
  })

  const watch = () =>
    atlas.step('main', {
      inputs: organisationInputs(atlas.emulator, 'service-account', orgId, {
        operation: 'list-certificates'
      })
    })

  it('reads only the others in each project; the table counts each project’s expired ones', async () => {
    const main = await watch()
    expect(main.errors).toEqual([])
    const read = [`${north}/app`, `${south}/app`, `${south}/gha-live`].sort()
    expect(certificateReads()).toEqual(read)
    expect(listed(main)).toEqual(read)
    expect(rowsOf(main)).toContainEqual(['Atlas-managed X.509 users', '3'])
    expect(rowsOf(main)).toContainEqual([ROW, '3'])
    const table = main.summaries.find(s => s.heading === 'Projects')!.rows
    expect(table[0]!.slice(3, 6)).toEqual([
      'Atlas-managed X.509 users',
      'Expired ephemeral users (not read)',
      'Unexpired certificates'
    ])
    expect(table.slice(1)).toEqual([
      [north, 'north', '3 of 100', '1', '2', '1', 'read'],
      [south, 'south', '3 of 100', '2', '1', '2', 'read']
    ])
  })

  it('one warning names them with their project', async () => {
    const main = await watch()
    const warnings = expiredWarnings(main)
    expect(warnings).toHaveLength(1)
    for (const name of [
      `gha-old-a (project ${north})`,
      `gha-old-b (project ${north})`,
      `gha-old-c (project ${south})`
    ])
      expect(warnings[0]!.message).toContain(name)
    expect(warnings[0]!.message).toMatch(/^3 ephemeral user\(s\)/)
    expect(main.info).toContainEqual(
      expect.stringMatching(
        /^3 Atlas-managed X\.509 user\(s\) in 2 project\(s\) \(not counting 3 expired ephemeral user\(s\), whose certificates were not read\):/
      )
    )
    // What prune would delete is what the watch left unread.
    const prune = await atlas.step('main', {
      inputs: organisationInputs(atlas.emulator, 'service-account', orgId, {
        operation: 'prune-ephemeral-users',
        'dry-run': 'true'
      })
    })
    expect(
      (JSON.parse(prune.outputs.pruned!) as Array<{ groupId: string; username: string }>)
        .map(p => `${p.groupId}/${p.username}`)
        .sort()
    ).toEqual([`${north}/gha-old-a`, `${north}/gha-old-b`, `${south}/gha-old-c`].sort())
  })
})

it("the benchmark organisation's watch: 1 project list, 20 user lists, 20 limits, 40 certificate lists", async () => {
  const orgId = seedOrganisation(atlas.emulator)
  const main = await atlas.step('main', {
    inputs: organisationInputs(atlas.emulator, 'api-key', orgId, {
      operation: 'list-certificates'
    })
  })
  expect(main.errors).toEqual([])
  const answered = atlasRequests(atlas.emulator).filter(r => r.auth !== null)
  const count = (pattern: RegExp) => answered.filter(r => pattern.test(r.path)).length
  expect({
    projectLists: count(/^\/api\/atlas\/v2\/orgs\/[^/]+\/groups\?/),
    userLists: count(/\/databaseUsers\?/),
    limits: count(/\/limits\//),
    certificateLists: count(/\/certs(\?|$)/),
    all: answered.length
  }).toEqual({ projectLists: 1, userLists: 20, limits: 20, certificateLists: 40, all: 81 })
  expect(certificateReads().every(read => /\/app-[01]$/.test(read))).toBe(true)
  expect(rowsOf(main)).toContainEqual([ROW, '60'])
})
