/**
 * The decisions of prune-ephemeral-users: which users it may touch and which it deletes this run
 * (a plan from the list, the time and prune-limit), and what it reports after the deletes. The
 * predicate for "expired" is the watch's too (list-certificates without username): the two agree.
 */
import type { DatabaseUser } from '../../src/atlas/api.js'
import { AtlasApiError, AtlasUnreachableError } from '../../src/atlas/errors.js'
import { TitledError } from '../../src/errors.js'
import { isExpiredEphemeralUser } from '../../src/operations/ephemeral-labels.js'
import { managedOwners } from '../../src/operations/list-certificates.js'
import {
  MAX_SUMMARY_ROWS,
  planPrune,
  pruneFailure,
  prunedNames,
  pruneSummaryRows,
  type PrunePlan
} from '../../src/operations/prune-ephemeral-users.js'

const NOW = Date.parse('2026-12-04T10:00:00.000Z')
const GROUP = '32b6e34b3d91647abb20e7b8'

function user(
  username: string,
  expiresAt: string | undefined,
  kind: Partial<DatabaseUser> = {}
): DatabaseUser {
  return {
    username,
    databaseName: '$external',
    x509Type: 'MANAGED',
    labels: [
      { key: 'managed-by', value: 'atlas-x509-action' },
      ...(expiresAt === undefined ? [] : [{ key: 'expires-at', value: expiresAt }]),
      { key: 'github-run', value: `o/r/1/1/${username}` }
    ],
    ...kind
  }
}
const names = (users: readonly DatabaseUser[]) => users.map(u => u.username)
const nothingDeleted = { outcomes: new Map(), started: 0 }

describe('planPrune', () => {
  const users: DatabaseUser[] = [
    user('later', '2026-12-05T00:00:00.000Z'),
    user('old-b', '2026-12-01T00:00:00.000Z'),
    user('old-a', '2026-12-01T00:00:00.000Z'),
    user('oldest', '2026-11-01T00:00:00.000Z', { x509Type: 'CUSTOMER' }),
    user('just-now', '2026-12-04T10:00:00.000Z'),
    user('password-user', '2026-01-01T00:00:00.000Z', { databaseName: 'admin', x509Type: 'NONE' }),
    user('ldap', '2026-01-01T00:00:00.000Z', { x509Type: undefined }),
    user('no-date', undefined),
    user('bad-date', '2026-12-01'),
    user('feb-30', '2026-02-30T00:00:00.000Z'),
    { username: 'unlabelled', databaseName: '$external', x509Type: 'MANAGED' }
  ]

  it('keeps to ours: $external users of an ephemeral kind with the label', () => {
    const plan = planPrune(users, NOW, 10)
    expect(plan.listed).toBe(11)
    expect(names(plan.notOurKind)).toEqual(['password-user', 'ldap'])
    expect(names(plan.ours)).not.toContain('unlabelled')
    expect(names(plan.ours)).toHaveLength(8)
  })

  it('expired: by now (inclusive), the longest expired first, ties by name', () => {
    expect(names(planPrune(users, NOW, 10).expired)).toEqual([
      'oldest',
      'old-a',
      'old-b',
      'just-now'
    ])
  })

  it('a label that is not a strict ISO 8601 UTC date is undated, never expired', () => {
    const plan = planPrune(users, NOW, 10)
    expect(names(plan.undated)).toEqual(['no-date', 'bad-date', 'feb-30'])
    expect(names(plan.expired)).not.toContain('feb-30')
  })

  it('prune-limit: the first expired are due, the rest left for the next run', () => {
    const plan = planPrune(users, NOW, 2)
    expect(names(plan.due)).toEqual(['oldest', 'old-a'])
    expect(names(plan.leftOver)).toEqual(['old-b', 'just-now'])
  })

  it('nothing listed: nothing to do', () => {
    expect(planPrune([], NOW, 5)).toEqual({
      listed: 0,
      ours: [],
      notOurKind: [],
      undated: [],
      expired: [],
      due: [],
      leftOver: []
    })
  })
})

describe('after the deletes', () => {
  const plan: PrunePlan = planPrune(
    [
      user('a', '2026-12-01T00:00:00.000Z'),
      user('b', '2026-12-02T00:00:00.000Z'),
      user('c', '2026-12-03T00:00:00.000Z'),
      user('d', '2026-12-03T12:00:00.000Z')
    ],
    NOW,
    3
  )
  const deletes = {
    outcomes: new Map<string, 'deleted' | 'gone' | { failure: string }>([
      ['a', 'deleted'],
      ['b', 'gone'],
      ['c', { failure: 'Atlas FORBIDDEN (HTTP 403)' }]
    ]),
    started: 3
  }

  it('pruned: only what this step deleted; in a dry run, everything due', () => {
    expect(prunedNames(plan, deletes, false)).toEqual(['a'])
    expect(prunedNames(plan, nothingDeleted, true)).toEqual(['a', 'b', 'c'])
  })

  it('the summary rows say what became of each due user, and what is left', () => {
    expect(pruneSummaryRows(plan, deletes, ['a'], { dryRun: false, limit: 3 })).toEqual([
      ['Users listed', '4'],
      ['Deleted', '1'],
      ['Left for the next run', '1 expired user(s) beyond prune-limit (3)'],
      ['a', 'expired 2026-12-01T00:00:00.000Z; o/r/1/1/a'],
      ['b', 'expired 2026-12-02T00:00:00.000Z; o/r/1/1/b; already gone'],
      ['c', 'expired 2026-12-03T00:00:00.000Z; o/r/1/1/c; NOT deleted']
    ])
    expect(
      pruneSummaryRows(plan, nothingDeleted, ['a', 'b', 'c'], { dryRun: true, limit: 3 })
    ).toEqual([
      ['Users listed', '4'],
      ['Would delete', '3'],
      ['Would be left for the next run', '1 expired user(s) beyond prune-limit (3)'],
      ['a', 'expired 2026-12-01T00:00:00.000Z; o/r/1/1/a'],
      ['b', 'expired 2026-12-02T00:00:00.000Z; o/r/1/1/b'],
      ['c', 'expired 2026-12-03T00:00:00.000Z; o/r/1/1/c']
    ])
  })

  it('the summary names at most MAX_SUMMARY_ROWS users, and says how many more', () => {
    const many = planPrune(
      Array.from({ length: MAX_SUMMARY_ROWS + 7 }, (_, i) =>
        user(`u${String(i).padStart(3, '0')}`, '2026-12-01T00:00:00.000Z')
      ),
      NOW,
      1000
    )
    const rows = pruneSummaryRows(many, nothingDeleted, [], { dryRun: true, limit: 1000 })
    expect(rows).toHaveLength(2 + MAX_SUMMARY_ROWS + 1)
    expect(rows.at(-1)).toEqual([
      '…',
      '7 more not listed here; the pruned output has every deleted name'
    ])
  })

  it('no failure when every due delete went through, or in a dry run', () => {
    const allDeleted = {
      outcomes: new Map([
        ['a', 'deleted' as const],
        ['b', 'deleted' as const],
        ['c', 'deleted' as const]
      ]),
      started: 3
    }
    expect(pruneFailure(plan, allDeleted, ['a', 'b', 'c'], 3, [])).toBeUndefined()
    expect(pruneFailure(plan, nothingDeleted, ['a', 'b', 'c'], 3, [])).toBeUndefined()
  })

  it('failed deletes: one error naming them', () => {
    const error = pruneFailure(plan, deletes, ['a'], 3, ['c: Atlas FORBIDDEN (HTTP 403)'])
    expect(error).toBeInstanceOf(TitledError)
    expect((error as TitledError).title).toBe('Ephemeral users not deleted')
    expect(error!.message).toMatch(
      /^Could not delete 1 of 3 expired ephemeral user\(s\) due this run: c: Atlas FORBIDDEN \(HTTP 403\)\. They stay/
    )
  })

  it('more than ten failures: ten named, the rest counted', () => {
    const failures = Array.from({ length: 13 }, (_, i) => `u${i}: refused`)
    const error = pruneFailure(plan, deletes, [], 3, failures)!
    expect(error.message).toContain('u9: refused; … and 3 more.')
    expect(error.message).not.toContain('u10:')
  })

  it('stopped by the budget: what was deleted, what got no answer, what is left', () => {
    const stopped = {
      outcomes: new Map([['a', 'deleted' as const]]),
      started: 2,
      stopped: new AtlasUnreachableError('No answer from Atlas within timeout-seconds.')
    }
    const error = pruneFailure(plan, stopped, ['a'], 3, [])
    expect(error).toBeInstanceOf(AtlasUnreachableError)
    expect(error!.message).toBe(
      'No answer from Atlas within timeout-seconds. Deleted 1 of 3 expired user(s) before stopping; 1 delete(s) got no answer (they may have taken effect); 1 not tried and 1 beyond prune-limit (3) are left for the next run.'
    )
  })

  it("stopped by Atlas's rate limit: one Atlas error that keeps its code", () => {
    const stopped = {
      outcomes: new Map(),
      started: 1,
      stopped: new AtlasApiError(429, 'RATE_LIMITED', 'Too many requests.', 1000)
    }
    const error = pruneFailure(plan, stopped, [], 3, []) as AtlasApiError
    expect(error).toBeInstanceOf(AtlasApiError)
    expect([error.status, error.errorCode, error.retryAfterMs]).toEqual([429, 'RATE_LIMITED', 1000])
    expect(error.detail).toBe(
      "Too many requests. Deleted 0 of 3 expired user(s) before Atlas's rate limit stopped the run; 1 refused; 2 not tried and 1 beyond prune-limit (3) are left for the next run."
    )
  })
})

describe('isExpiredEphemeralUser', () => {
  it('expires-at exactly now is expired; a millisecond later is not', () => {
    expect(isExpiredEphemeralUser(user('now', '2026-12-04T10:00:00.000Z'), NOW)).toBe(true)
    expect(isExpiredEphemeralUser(user('soon', '2026-12-04T10:00:00.001Z'), NOW)).toBe(false)
    expect(isExpiredEphemeralUser(user('past', '2026-01-01T00:00:00Z'), NOW)).toBe(true)
  })

  it('both kinds this action creates: MANAGED and CUSTOMER', () => {
    const customer = user('CN=gha,O=acme', '2026-12-01T00:00:00.000Z', { x509Type: 'CUSTOMER' })
    expect(isExpiredEphemeralUser(customer, NOW)).toBe(true)
  })

  it.each([
    ['no expires-at label', undefined],
    ['a date without a time', '2026-12-01'],
    ['a date that does not exist', '2026-02-30T00:00:00.000Z'],
    ['an offset instead of Z', '2026-12-01T00:00:00+00:00'],
    ['a lenient Date.parse form', 'Jan 1 2026']
  ])('undated (%s): never expired', (_, expiresAt) => {
    expect(isExpiredEphemeralUser(user('undated', expiresAt), NOW)).toBe(false)
  })

  it.each([
    ['a password user', { databaseName: 'admin', x509Type: 'NONE' }],
    ['an LDAP user of $external', { x509Type: undefined }],
    ['an $external user of x509Type NONE', { x509Type: 'NONE' }],
    ['a MANAGED type outside $external', { databaseName: 'admin' }]
  ])('our label on another kind of user (%s): not expired', (_, kind) => {
    expect(isExpiredEphemeralUser(user('other', '2026-01-01T00:00:00.000Z', kind), NOW)).toBe(false)
  })

  it('no managed-by label, or another value: not ours, not expired', () => {
    const unlabelled: DatabaseUser = {
      username: 'app',
      databaseName: '$external',
      x509Type: 'MANAGED'
    }
    expect(isExpiredEphemeralUser(unlabelled, NOW)).toBe(false)
    const someoneElses = user('theirs', '2026-01-01T00:00:00.000Z', {
      labels: [
        { key: 'managed-by', value: 'another-tool' },
        { key: 'expires-at', value: '2026-01-01T00:00:00.000Z' }
      ]
    })
    expect(isExpiredEphemeralUser(someoneElses, NOW)).toBe(false)
    // Labels that are not an array of {key, value} (a hostile answer): not ours.
    const odd = { ...unlabelled, labels: 'managed-by=atlas-x509-action' } as unknown as DatabaseUser
    expect(isExpiredEphemeralUser(odd, NOW)).toBe(false)
  })
})

describe('prune and the watch agree', () => {
  const users: DatabaseUser[] = [
    user('gha-old', '2026-12-01T00:00:00.000Z'),
    user('gha-now', '2026-12-04T10:00:00.000Z'),
    user('gha-live', '2026-12-05T00:00:00.000Z'),
    user('gha-undated', 'tomorrow'),
    user('gha-no-label', undefined),
    user('CN=gha-customer', '2026-12-01T00:00:00.000Z', { x509Type: 'CUSTOMER' }),
    user('labelled-password', '2026-01-01T00:00:00.000Z', {
      databaseName: 'admin',
      x509Type: 'NONE'
    }),
    { username: 'app', databaseName: '$external', x509Type: 'MANAGED' }
  ]

  it("prune's expired users are exactly those of the predicate", () => {
    const expired = planPrune(users, NOW, 100).expired.map(u => u.username)
    expect(expired.sort()).toEqual(
      users
        .filter(u => isExpiredEphemeralUser(u, NOW))
        .map(u => u.username)
        .sort()
    )
    expect(expired.sort()).toEqual(['CN=gha-customer', 'gha-now', 'gha-old'])
  })

  it('the watch leaves out the expired Atlas-managed ones and reads every other managed user', () => {
    const { watched, expiredEphemeral } = managedOwners(
      [{ project: { id: GROUP, name: 'p' }, users }],
      NOW
    )
    expect(expiredEphemeral.map(o => o.username)).toEqual(['gha-old', 'gha-now'])
    // The CUSTOMER user is expired too, but the watch never reads a self-managed user's certificates.
    expect(watched.map(o => o.username)).toEqual(['gha-live', 'gha-undated', 'gha-no-label', 'app'])
    expect([...watched, ...expiredEphemeral].every(o => o.groupId === GROUP)).toBe(true)
  })
})
