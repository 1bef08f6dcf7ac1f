/**
 * org-id through the bundle on Node 24: an organisation of three readable projects and one the
 * credential may not read. The watch lists every managed user's certificates in all three, prune
 * deletes exactly their expired labelled users, and the forbidden project is named in the summary
 * and in skipped-projects. The details are tested in-process (__tests__/operations/organisation.test.ts).
 */
import { expect } from '@jest/globals'
import { startAtlas, type Atlas } from '../support/atlas.js'
import {
  atlasRequests,
  ephemeralUserSeed,
  organisationInputs
} from '../support/emulator-fixtures.js'

const DAY = 86_400_000
let atlas: Atlas
let orgId: string
let projects: string[]
let forbidden: string

const labelled = ephemeralUserSeed

beforeAll(async () => {
  atlas = await startAtlas()
  const { emulator } = atlas
  orgId = emulator.addOrganisation()
  projects = ['alpha', 'beta', 'gamma'].map(name => emulator.addProject(orgId, { name }))
  forbidden = emulator.addProject(orgId, { name: 'locked' })
  emulator.setProjectForbidden(forbidden, true)
  const now = Date.now()
  projects.forEach((groupId, i) => {
    for (const username of [`app-${i}`, `svc-${i}`]) {
      emulator.addUser(groupId, { username, databaseName: '$external', x509Type: 'MANAGED' })
      emulator.addCertificateRecord(groupId, username, {
        createdAt: new Date(now - DAY),
        notAfter: new Date(now + (90 + i) * DAY)
      })
    }
    emulator.addUser(groupId, labelled(`gha-expired-${i}`, '2026-01-01T00:00:00.000Z'))
    emulator.addUser(groupId, labelled(`gha-current-${i}`, '2099-01-01T00:00:00.000Z'))
  })
})
afterAll(() => atlas.close())

/** The step's inputs with org-id in place of group-id. */
const orgInputs = (extra: Record<string, string>) =>
  organisationInputs(atlas.emulator, 'service-account', orgId, extra)

const skippedOutput = () => [{ groupId: forbidden, name: 'locked', error: '403 USER_UNAUTHORIZED' }]

it('the watch lists every managed user of all three projects and names the one it cannot read', async () => {
  atlas.emulator.clearRequests()
  const main = await atlas.step('main', { inputs: orgInputs({ operation: 'list-certificates' }) })
  expect(main.exitCode).toBe(0)
  expect(main.errors).toEqual([])
  const certificates = JSON.parse(main.outputs.certificates!) as Array<{
    groupId: string
    username: string
  }>
  expect(certificates.map(c => `${c.groupId} ${c.username}`).sort()).toEqual(
    projects.flatMap((groupId, i) => [`${groupId} app-${i}`, `${groupId} svc-${i}`]).sort()
  )
  expect(JSON.parse(main.outputs['skipped-projects']!)).toEqual(skippedOutput())
  // The summary's Projects table: a row for the forbidden project saying it was skipped.
  expect(main.summary).toMatch(new RegExp(`${forbidden}</td><td>locked</td>.*skipped: 403`))
  expect(main.warnings.map(w => w.title)).toContain('Project skipped')
  // The expired ephemeral users, which prune deletes, are counted and named, their certificates not read.
  const certificateReads = atlasRequests(atlas.emulator).filter(
    r => r.auth !== null && /\/certs(\?|$)/.test(r.path)
  )
  expect(certificateReads).toHaveLength(9)
  expect(certificateReads.filter(r => r.path.includes('gha-expired'))).toEqual([])
  expect(main.summary).toMatch(/Expired ephemeral users \(certificates not read\)<\/th><td>3<\/td>/)
  expect(main.warnings.map(w => w.title)).toContain('Expired ephemeral users')
})

it('prune deletes exactly the expired labelled users of all three projects', async () => {
  const main = await atlas.step('main', {
    inputs: orgInputs({ operation: 'prune-ephemeral-users' })
  })
  expect(main.exitCode).toBe(0)
  expect(main.errors).toEqual([])
  expect(
    (JSON.parse(main.outputs.pruned!) as Array<{ groupId: string; username: string }>).sort(
      (a, b) => a.username.localeCompare(b.username)
    )
  ).toEqual(projects.map((groupId, i) => ({ groupId, username: `gha-expired-${i}` })))
  projects.forEach((groupId, i) =>
    expect(
      atlas.emulator
        .users(groupId)
        .map(u => u.username)
        .sort()
    ).toEqual([`app-${i}`, `gha-current-${i}`, `svc-${i}`])
  )
  expect(JSON.parse(main.outputs['skipped-projects']!)).toEqual(skippedOutput())
  expect(main.summary).toContain(forbidden)
})
