/**
 * The decisions of create-ephemeral-user: the user it plans, whether the user a create left is
 * this step's, and what its summary and errors say about the user.
 */
import type { DatabaseUser } from '../../src/atlas/api.js'
import type { IssuerOptions } from '../../src/inputs/issuer.js'
import {
  ephemeralUserRows,
  fateOfUser,
  ownershipAfterCreate,
  planUser
} from '../../src/operations/create-ephemeral-user.js'

const RUN = { repository: 'octo-org/app', runId: '4242', runAttempt: '2', job: 'test' }
const NOW = Date.parse('2026-12-04T10:00:00.000Z')
const RANDOM = { part: 'abcdefghij', nonce: 'n0nce' }
const STEP = { githubRun: 'octo-org/app/4242/2/test', stepNonce: 'n0nce' }

const labelled = (labels: Record<string, string>): DatabaseUser => ({
  username: 'gha-4242-2-test-abcdefghij',
  databaseName: '$external',
  x509Type: 'MANAGED',
  labels: Object.entries(labels).map(([key, value]) => ({ key, value }))
})
const OUR_LABELS = {
  'managed-by': 'atlas-x509-action',
  'github-run': STEP.githubRun,
  'step-nonce': STEP.stepNonce
}

describe('planUser', () => {
  const managed = { usernamePrefix: undefined, issuer: undefined, subjectSuffix: [], ttlHours: 6 }

  it('names a MANAGED user after the run, with the random part, and labels it to expire after ttl', () => {
    expect(planUser(managed, RUN, NOW, RANDOM)).toEqual({
      subject: [{ type: 'CN', value: 'gha-4242-2-test-abcdefghij' }],
      username: 'gha-4242-2-test-abcdefghij',
      x509Type: 'MANAGED',
      githubRun: 'octo-org/app/4242/2/test',
      stepNonce: 'n0nce',
      expiresAt: '2026-12-04T16:00:00.000Z'
    })
  })

  it('names a CUSTOMER user by its subject, the given prefix first', () => {
    const user = planUser(
      {
        ...managed,
        usernamePrefix: 'ci',
        issuer: {} as IssuerOptions,
        subjectSuffix: [{ type: 'O', value: 'Acme' }]
      },
      RUN,
      NOW,
      RANDOM
    )
    expect([user.username, user.x509Type]).toEqual(['CN=ci-abcdefghij,O=Acme', 'CUSTOMER'])
  })

  it('draws a new name and nonce for every plan', () => {
    const [a, b] = [planUser(managed, RUN, NOW), planUser(managed, RUN, NOW)]
    expect(a.username).not.toBe(b.username)
    expect(a.stepNonce).toMatch(/^[0-9a-f]{24}$/)
    expect(a.stepNonce).not.toBe(b.stepNonce)
  })
})

describe('ownershipAfterCreate', () => {
  it('a 201: the step created the user, nothing read', () => {
    expect(ownershipAfterCreate('created', undefined, STEP)).toBe('created')
  })

  it("a 409 on a user with this step's run and nonce: a retried create that got through", () => {
    expect(ownershipAfterCreate('exists', labelled(OUR_LABELS), STEP)).toBe('created-by-retry')
  })

  it.each([
    ['another step of the same run (another nonce)', { ...OUR_LABELS, 'step-nonce': 'other' }],
    ['another run', { ...OUR_LABELS, 'github-run': 'octo-org/app/1/1/test' }],
    ['no managed-by label', { 'github-run': STEP.githubRun, 'step-nonce': STEP.stepNonce }],
    ['no labels', {}]
  ])('a 409 on a user of %s: taken', (_, labels) => {
    expect(ownershipAfterCreate('exists', labelled(labels), STEP)).toBe('taken')
  })

  it('a 409, then no user to read: taken, never assumed ours', () => {
    expect(ownershipAfterCreate('exists', undefined, STEP)).toBe('taken')
  })

  it('an empty nonce matches nothing', () => {
    const user = labelled({ ...OUR_LABELS, 'step-nonce': '' })
    expect(ownershipAfterCreate('exists', user, { ...STEP, stepNonce: '' })).toBe('taken')
  })
})

describe('what the summary and errors say about the user', () => {
  it('the rows: roles, scopes, readiness and who deletes the user when', () => {
    const access = {
      roles: [
        { roleName: 'readWrite', databaseName: 'app' },
        { roleName: 'read', databaseName: 'reports', collectionName: 'events' }
      ],
      scopes: ['Cluster0']
    }
    expect(
      ephemeralUserRows(access, 'no cluster in the project', {
        expiresAt: '2026-12-04T16:00:00.000Z',
        cleanup: true
      })
    ).toEqual([
      ['Roles', 'readWrite@app, read@reports.events'],
      ['Scopes', 'Cluster0'],
      ['Ready to log in', 'no cluster in the project'],
      ['User expires', '2026-12-04T16:00:00.000Z (deleted by the post step)']
    ])
    const unscoped = ephemeralUserRows({ ...access, scopes: [] }, 'x', {
      expiresAt: '2026-12-04T16:00:00.000Z',
      cleanup: false
    })
    expect(unscoped[1]).toEqual(['Scopes', 'all clusters of the project'])
    expect(unscoped[3]![1]).toMatch(/left for prune-ephemeral-users/)
  })

  it('the fate of a user the step created before failing', () => {
    expect(fateOfUser(true, 'u', 'T')).toBe('The post step deletes the user.')
    expect(fateOfUser(false, 'u', '2026-12-04T16:00:00.000Z')).toMatch(
      /^With cleanup false the user u stays until prune-ephemeral-users deletes it after its expires-at label \(2026-12-04T16:00:00.000Z\); delete it now with operation delete-user/
    )
  })
})
