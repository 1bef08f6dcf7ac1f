/**
 * org-id: list-certificates and prune-ephemeral-users over every project of an organisation
 * (its project list read page by page), a project the credential cannot read skipped and named,
 * entries that carry their project, and the watch's warning near a project's user limit.
 */
import { expect } from '@jest/globals'
import { RequestLimiter, mapLimited } from '../../src/atlas/limiter.js'
import { PARALLEL_REQUESTS } from '../../src/operations/projects.js'
import { ephemeralUserSeed, organisationInputs } from '../support/emulator-fixtures.js'
import { atlasRequests, startAtlas, type InProcessAtlas } from '../support/inprocess.js'

// Pages of two: the organisation's projects and each project's users take several pages.
let atlas: InProcessAtlas
let orgId: string
let projects: string[]
let forbidden: string
const DAY = 86_400_000

const labelled = ephemeralUserSeed

beforeAll(async () => {
  atlas = await startAtlas({ maxPageSize: 2 })
  const { emulator } = atlas
  orgId = emulator.addOrganisation()
  projects = ['alpha', 'beta', 'gamma'].map(name => emulator.addProject(orgId, { name }))
  forbidden = emulator.addProject(orgId, { name: 'secret' })
  emulator.setProjectForbidden(forbidden, true)
  const now = Date.now()
  projects.forEach((groupId, i) => {
    emulator.addUser(groupId, {
      username: `app-${i}`,
      databaseName: '$external',
      x509Type: 'MANAGED'
    })
    emulator.addCertificateRecord(groupId, `app-${i}`, {
      createdAt: new Date(now - DAY),
      notAfter: new Date(now + (100 + i) * DAY)
    })
    // The same name in every project: a different user each time.
    emulator.addUser(groupId, {
      username: 'shared',
      databaseName: '$external',
      x509Type: 'MANAGED'
    })
    emulator.addCertificateRecord(groupId, 'shared', {
      createdAt: new Date(now - DAY),
      notAfter: new Date(now + (200 + i) * DAY)
    })
    emulator.addUser(groupId, labelled(`gha-old-${i}`, '2026-01-01T00:00:00.000Z'))
    emulator.addUser(groupId, labelled(`gha-live-${i}`, '2099-01-01T00:00:00.000Z'))
    emulator.addUser(groupId, {
      username: `unlabelled-${i}`,
      databaseName: '$external',
      x509Type: 'MANAGED'
    })
  })
  emulator.addUser(forbidden, labelled('gha-hidden', '2026-01-01T00:00:00.000Z'))
})
afterAll(() => atlas.close())
beforeEach(() => {
  atlas.emulator.clearRequests()
  atlas.emulator.clearFaults()
})

/** The step's inputs with org-id in place of group-id. */
const orgInputs = (extra: Record<string, string>) =>
  organisationInputs(atlas.emulator, 'api-key', orgId, extra)

describe('list-certificates with org-id', () => {
  it('lists every managed user of every readable project, each entry with its project; the forbidden one is skipped and named', async () => {
    const main = await atlas.step('main', { inputs: orgInputs({ operation: 'list-certificates' }) })
    expect(main.errors).toEqual([])
    const certificates = JSON.parse(main.outputs.certificates!) as Array<{
      username: string
      groupId: string
    }>
    expect(certificates.map(c => `${c.groupId}/${c.username}`).sort()).toEqual(
      projects.flatMap((groupId, i) => [`${groupId}/app-${i}`, `${groupId}/shared`]).sort()
    )
    expect(main.outputs.count).toBe('6')
    expect(JSON.parse(main.outputs['skipped-projects']!)).toEqual([
      { groupId: forbidden, name: 'secret', error: '403 USER_UNAUTHORIZED' }
    ])
    expect(main.warnings).toContainEqual({
      level: 'warning',
      title: 'Project skipped',
      message: expect.stringContaining(`secret (${forbidden}): 403 USER_UNAUTHORIZED`)
    })
    // Users without a certificate carry their project too. The expired ephemeral users (gha-old-*)
    // are not read, so not among them: prune-ephemeral-users deletes them.
    const without = JSON.parse(main.outputs['users-without-certificate']!) as Array<{
      groupId: string
      username: string
    }>
    expect(without.map(owner => `${owner.groupId}/${owner.username}`).sort()).toEqual(
      projects
        .flatMap((groupId, i) => [`${groupId}/gha-live-${i}`, `${groupId}/unlabelled-${i}`])
        .sort()
    )
    // The summary groups by project and names the skipped one.
    const table = main.summaries.find(s => s.heading === 'Projects')!
    expect(table.rows.map(row => row[0])).toEqual(['Project', ...projects, forbidden])
    expect(table.rows.at(-1)).toEqual([
      forbidden,
      'secret',
      '',
      '',
      '',
      '',
      'skipped: 403 USER_UNAUTHORIZED'
    ])
    expect(main.summary).toContain(orgId)
    const certificateRows = main.summaries.find(s => s.heading === 'Certificates by days left')!
    const projectColumn = certificateRows.rows.slice(1).map(row => row[0])
    expect(projectColumn).toEqual(
      [...projectColumn].sort((a, b) => projects.indexOf(a!) - projects.indexOf(b!))
    )
    // Every page of the organisation's project list was read (4 projects, pages of 2).
    const pages = atlasRequests(atlas.emulator).filter(
      r => r.auth !== null && r.path.startsWith(`/api/atlas/v2/orgs/${orgId}/groups?`)
    )
    expect(pages.map(r => new URL(r.path, 'http://x').searchParams.get('pageNum'))).toEqual([
      '1',
      '2'
    ])
  })

  it('warns about a project at 90 % of its database-user limit, not one below it', async () => {
    // Each project holds 5 users: a limit of 5 is 100 %, of 6 is 83 %.
    atlas.emulator.setUserLimit(projects[0]!, 5)
    atlas.emulator.setUserLimit(projects[1]!, 6)
    try {
      const main = await atlas.step('main', {
        inputs: orgInputs({ operation: 'list-certificates' })
      })
      const nearLimit = main.warnings.filter(w => w.title === 'Near the database-user limit')
      expect(nearLimit).toEqual([
        {
          level: 'warning',
          title: 'Near the database-user limit',
          message: expect.stringContaining(`alpha (${projects[0]}) holds 5 of its 5 database users`)
        }
      ])
      const limitReads = atlasRequests(atlas.emulator).filter(
        r =>
          r.auth !== null && r.path.endsWith('/limits/atlas.project.security.databaseAccess.users')
      )
      expect(limitReads).toHaveLength(4)
    } finally {
      for (const groupId of projects) atlas.emulator.setUserLimit(groupId, 100)
    }
  })

  it('warns near the limit for one project (group-id) as well', async () => {
    atlas.emulator.setUserLimit(projects[2]!, 5)
    try {
      const main = await atlas.step('main', {
        inputs: atlas.inputs('api-key', {
          operation: 'list-certificates',
          'group-id': projects[2]!
        })
      })
      expect(main.errors).toEqual([])
      expect(main.warnings.map(w => w.title)).toContain('Near the database-user limit')
      expect(main.outputs['skipped-projects']).toBe('[]')
    } finally {
      atlas.emulator.setUserLimit(projects[2]!, 100)
    }
  })

  it("fails with Atlas's error when no project of the organisation can be read", async () => {
    const lonely = atlas.emulator.addOrganisation()
    const only = atlas.emulator.addProject(lonely, { name: 'closed' })
    atlas.emulator.setProjectForbidden(only, true)
    const inputs = organisationInputs(atlas.emulator, 'api-key', lonely, {
      operation: 'list-certificates'
    })
    const main = await atlas.step('main', { inputs })
    expect(main.errors).toEqual([
      { level: 'error', title: 'Atlas USER_UNAUTHORIZED (HTTP 403)', message: expect.any(String) }
    ])
  })
})

describe('prune-ephemeral-users with org-id', () => {
  it('deletes exactly the expired labelled users of every readable project; entries carry their project', async () => {
    const main = await atlas.step('main', {
      inputs: orgInputs({ operation: 'prune-ephemeral-users' })
    })
    expect(main.errors).toEqual([])
    expect(
      (JSON.parse(main.outputs.pruned!) as Array<{ groupId: string; username: string }>).sort(
        (a, b) => a.username.localeCompare(b.username)
      )
    ).toEqual(projects.map((groupId, i) => ({ groupId, username: `gha-old-${i}` })))
    expect(main.outputs.count).toBe('3')
    projects.forEach((groupId, i) => {
      const left = atlas.emulator
        .users(groupId)
        .map(u => u.username)
        .sort()
      expect(left).toEqual([`app-${i}`, `gha-live-${i}`, 'shared', `unlabelled-${i}`])
    })
    expect(atlas.emulator.getUser(forbidden, '$external', 'gha-hidden')).toBeDefined()
    expect(JSON.parse(main.outputs['skipped-projects']!)).toEqual([
      { groupId: forbidden, name: 'secret', error: '403 USER_UNAUTHORIZED' }
    ])
    expect(main.summary).toContain(`${forbidden} secret (403 USER_UNAUTHORIZED)`)
    expect(main.warnings.map(w => w.title)).toEqual(['Project skipped'])
    for (const [i, groupId] of projects.entries())
      atlas.emulator.addUser(groupId, labelled(`gha-old-${i}`, '2026-01-01T00:00:00.000Z'))
  })

  it("a service account's job: the post step revokes the token though the main step named no project", async () => {
    const { main, post } = await atlas.job({
      inputs: organisationInputs(atlas.emulator, 'service-account', orgId, {
        operation: 'prune-ephemeral-users',
        'dry-run': 'true'
      })
    })
    expect(main.errors).toEqual([])
    expect(main.state['group-id']).toBe('')
    expect(post.errors).toEqual([])
    expect(post.warnings).toEqual([])
    expect(atlas.emulator.activeTokens()).toBe(0)
  })

  it('dry-run: names what it would delete in every project, deletes nothing', async () => {
    const main = await atlas.step('main', {
      inputs: orgInputs({ operation: 'prune-ephemeral-users', 'dry-run': 'true' })
    })
    expect(main.errors).toEqual([])
    expect(JSON.parse(main.outputs.pruned!)).toHaveLength(3)
    expect(atlasRequests(atlas.emulator).filter(r => r.method === 'DELETE')).toEqual([])
    expect(main.summary).toContain(`gha-old-1 (project ${projects[1]})`)
  })
})

describe('org-id and group-id', () => {
  const refused = async (inputs: Record<string, string>, env: Record<string, string> = {}) => {
    atlas.emulator.clearRequests()
    const main = await atlas.step('main', { inputs, env })
    expect(atlas.emulator.requests).toEqual([])
    return main.errors
  }

  it('refuses both inputs together, saying what is accepted', async () => {
    expect(
      await refused(
        atlas.inputs('api-key', { operation: 'prune-ephemeral-users', 'org-id': orgId })
      )
    ).toEqual([
      {
        level: 'error',
        title: 'Invalid input: org-id',
        message: expect.stringMatching(
          /group-id and org-id are both given: give group-id for one project or org-id/
        )
      }
    ])
  })

  it.each([
    ['create-certificate', { username: 'ci-user' }],
    ['delete-user', { username: 'ci-user' }],
    ['list-certificates', { username: 'ci-user' }]
  ])('refuses org-id for %s %j', async (operation, extra) => {
    const inputs = atlas.inputs('api-key', { operation, 'org-id': orgId, ...extra })
    delete inputs['group-id']
    expect(await refused(inputs)).toEqual([
      {
        level: 'error',
        title: 'Invalid input: org-id',
        message: expect.stringContaining(
          'org-id is accepted by list-certificates without username and by prune-ephemeral-users'
        )
      }
    ])
  })

  it('refuses an org-id that is not 24 hex digits', async () => {
    expect(
      await refused(orgInputs({ operation: 'prune-ephemeral-users', 'org-id': 'my-org' }))
    ).toEqual([
      {
        level: 'error',
        title: 'Invalid input: org-id',
        message: expect.stringContaining('"my-org" is not an organisation id')
      }
    ])
  })

  it('takes MONGODB_ATLAS_ORG_ID when no input names a scope; an input wins over the other variable', async () => {
    const inputs = atlas.inputs('api-key', {
      operation: 'prune-ephemeral-users',
      'dry-run': 'true'
    })
    delete inputs['group-id']
    const fromEnv = await atlas.step('main', { inputs, env: { MONGODB_ATLAS_ORG_ID: orgId } })
    expect(fromEnv.errors).toEqual([])
    expect(JSON.parse(fromEnv.outputs.pruned!)).toHaveLength(3)
    // group-id as an input: that project only, the organisation variable notwithstanding.
    const project = await atlas.step('main', {
      inputs: { ...inputs, 'group-id': projects[0]! },
      env: { MONGODB_ATLAS_ORG_ID: orgId }
    })
    expect(project.outputs.pruned).toBe('["gha-old-0"]')
    // Both variables and no input: ambiguous.
    expect(
      await refused(inputs, { MONGODB_ATLAS_ORG_ID: orgId, MONGODB_ATLAS_PROJECT_ID: projects[0]! })
    ).toEqual([
      {
        level: 'error',
        title: 'Invalid input: org-id',
        message: expect.stringContaining('are both set')
      }
    ])
  })

  it('other operations ignore MONGODB_ATLAS_ORG_ID', async () => {
    const inputs = atlas.inputs('api-key', { operation: 'delete-user', username: 'nobody' })
    delete inputs['group-id']
    const main = await atlas.step('main', {
      inputs,
      env: { MONGODB_ATLAS_ORG_ID: orgId, MONGODB_ATLAS_PROJECT_ID: projects[0]! }
    })
    expect(main.errors).toEqual([])
    expect(atlasRequests(atlas.emulator).every(r => r.path.includes(projects[0]!))).toBe(true)
  })
})

describe('RequestLimiter', () => {
  async function peakInFlight(limiter: RequestLimiter, count: number): Promise<number> {
    let inFlight = 0
    let peak = 0
    await mapLimited(
      limiter,
      Array.from({ length: count }, (_, i) => i),
      async () => {
        inFlight += 1
        peak = Math.max(peak, inFlight)
        await new Promise(done => setTimeout(done, 2))
        inFlight -= 1
      }
    )
    return peak
  }

  it(`holds ${PARALLEL_REQUESTS} in flight at most, across nested work`, async () => {
    const limiter = new RequestLimiter(PARALLEL_REQUESTS, () => undefined)
    expect(await peakInFlight(limiter, 30)).toBe(PARALLEL_REQUESTS)
    // Two lists read through the same limiter at once still share the one bound.
    let inFlight = 0
    let peak = 0
    const work = async () => {
      inFlight += 1
      peak = Math.max(peak, inFlight)
      await new Promise(done => setTimeout(done, 2))
      inFlight -= 1
    }
    await Promise.all([
      mapLimited(limiter, Array.from({ length: 20 }), work),
      mapLimited(limiter, Array.from({ length: 20 }), work)
    ])
    expect(peak).toBe(PARALLEL_REQUESTS)
  })

  it('goes one at a time while RateLimit-Remaining is low', async () => {
    expect(await peakInFlight(new RequestLimiter(PARALLEL_REQUESTS, () => 3), 20)).toBe(1)
  })

  it('starts nothing after the first failure', async () => {
    const limiter = new RequestLimiter(2, () => undefined)
    const started: number[] = []
    await expect(
      mapLimited(limiter, [0, 1, 2, 3, 4, 5], async i => {
        started.push(i)
        await new Promise(done => setTimeout(done, 2))
        if (i === 0) throw new Error('boom')
      })
    ).rejects.toThrow('boom')
    await new Promise(done => setTimeout(done, 20))
    expect(started.length).toBeLessThanOrEqual(3)
  })
})
