import {
  checkCaBundle,
  earliestExpiry,
  normalisedPem,
  parseCertificates,
  sameCertificates,
  CaBundleError
} from '../../src/customer-ca.js'
import { InputError, splitList } from '../../src/inputs/inputs.js'
import {
  derivePrefix,
  ephemeralDescription,
  ephemeralLabels,
  ephemeralUsername,
  parseRoles,
  parseScopes
} from '../../src/operations/create-ephemeral-user.js'
import { parseWithExactIds } from '../../src/atlas/api.js'
import { isFromStep, isManagedByAction } from '../../src/operations/ephemeral-labels.js'
import { selfSigned } from '../support/pki.js'

describe('roles and scopes', () => {
  it('splits on commas and newlines', () => {
    expect(splitList(' a, b\nc,,\n d ')).toEqual(['a', 'b', 'c', 'd'])
  })
  it('parses role@database and role@database.collection (a collection may contain dots)', () => {
    expect(
      parseRoles(
        'readWrite@app, read@reports.events.daily\nreadWriteAnyDatabase@admin\nmy-role_1@admin'
      )
    ).toEqual([
      { roleName: 'readWrite', databaseName: 'app' },
      { roleName: 'read', databaseName: 'reports', collectionName: 'events.daily' },
      { roleName: 'readWriteAnyDatabase', databaseName: 'admin' },
      { roleName: 'my-role_1', databaseName: 'admin' }
    ])
  })
  it.each([
    'read',
    'read@',
    '@app',
    'read@@app',
    'read write@app',
    'atlasAdmin@app',
    'read@a/b',
    `read@${'d'.repeat(65)}`
  ])('refuses %j, naming the entry', value => {
    let error: unknown
    try {
      parseRoles(`readWrite@ok, ${value}`)
    } catch (e) {
      error = e
    }
    expect(error).toBeInstanceOf(InputError)
    expect((error as InputError).input).toBe('roles')
    expect((error as Error).message).toContain(value)
  })
  it('validates cluster names with Atlas’s pattern', () => {
    expect(parseScopes('Cluster0, analytics-1')).toEqual(['Cluster0', 'analytics-1'])
    expect(parseScopes('')).toEqual([])
    for (const bad of ['-a', 'a_b', 'a.b']) expect(() => parseScopes(bad)).toThrow(InputError)
  })
})

describe('ephemeral users', () => {
  const run = {
    repository: 'octo-org/App.Repo',
    runId: '123456789',
    runAttempt: '3',
    job: 'Integration Tests (Linux)'
  }
  it('derives a prefix without dots; the name adds 10 random [a-z0-9] characters, within 64', () => {
    expect(derivePrefix(run)).toBe('gha-123456789-3-integration-tests-linux')
    expect(ephemeralUsername(derivePrefix(run), 'abcdefghij')).toBe(
      'gha-123456789-3-integration-tests-linux-abcdefghij'
    )
    const longRun = { ...run, runId: '9'.repeat(20), runAttempt: '9999', job: 'x'.repeat(200) }
    expect(ephemeralUsername(derivePrefix(longRun)).length).toBeLessThanOrEqual(64)
    expect(ephemeralUsername('p'.repeat(53))).toHaveLength(64)
    const names = Array.from({ length: 200 }, () => ephemeralUsername('ci'))
    for (const name of names) expect(name).toMatch(/^ci-[a-z0-9]{10}$/)
    expect(new Set(names).size).toBe(names.length)
    // Every character of the alphabet turns up: the random part is not, say, hex.
    expect(new Set(names.flatMap(n => [...n.slice(3)])).size).toBe(36)
  })
  it('labels the user and keeps the description within 100 characters', () => {
    const longRun = { ...run, repository: `o/${'r'.repeat(150)}` }
    const body = {
      description: ephemeralDescription(longRun),
      labels: ephemeralLabels(longRun, '2026-01-01T00:00:00.000Z', 'n0nce')
    }
    expect(body.description.length).toBeLessThanOrEqual(100)
    expect(body.labels).toEqual([
      { key: 'managed-by', value: 'atlas-x509-action' },
      { key: 'expires-at', value: '2026-01-01T00:00:00.000Z' },
      { key: 'github-run', value: `o/${'r'.repeat(150)}/123456789/3/Integration Tests (Linux)` },
      { key: 'step-nonce', value: 'n0nce' }
    ])
    const user = {
      username: 'u',
      databaseName: '$external',
      labels: body.labels as Array<{ key: string; value: string }>
    }
    expect(isManagedByAction(user)).toBe(true)
    const githubRun = `o/${'r'.repeat(150)}/123456789/3/Integration Tests (Linux)`
    expect(isFromStep(user, githubRun, 'n0nce')).toBe(true)
    expect(isFromStep(user, githubRun, 'other-step')).toBe(false)
    expect(isFromStep(user, githubRun, '')).toBe(false)
    expect(isFromStep(user, 'o/r/1/1/x', 'n0nce')).toBe(false)
    expect(isManagedByAction({ username: 'x', databaseName: '$external' })).toBe(false)
  })
})

describe('int64 certificate ids', () => {
  it('keeps ids above 2^53 exact', () => {
    const parsed = parseWithExactIds(
      '{"results":[{"_id":9007199254740993,"subject":"CN=\\"_id\\": 5"},{"_id" : 2039020905786260978}]}'
    ) as {
      results: Array<{ _id: string; subject: string }>
    }
    expect(parsed.results.map(r => r._id)).toEqual(['9007199254740993', '2039020905786260978'])
    expect(parsed.results[0]!.subject).toBe('CN="_id": 5')
    expect(JSON.parse('9007199254740993')).toBe(9007199254740992) // why the above exists
  })
})

describe('CA bundles', () => {
  const make = (name: string, ca: boolean) =>
    selfSigned(`unit-${name}`, { ca, days: ca ? 100 : 10 }).pem
  const a = make('a', true)
  const b = make('b', true)
  const leaf = make('leaf', false)

  it('parses, normalises, compares and dates bundles', () => {
    const certificates = checkCaBundle(`${a}\r\n${b}`, Date.now())
    expect(normalisedPem(certificates)).toBe(a + b)
    expect(sameCertificates(parseCertificates(b + a), certificates)).toBe(true)
    expect(sameCertificates(parseCertificates(a), certificates)).toBe(false)
    expect(earliestExpiry(certificates)).toBe(new Date(certificates[0]!.validTo).toISOString())
  })
  it('refuses a leaf, an expired CA, stray text and other blocks', () => {
    expect(() => checkCaBundle(leaf, Date.now())).toThrow(/not a CA/)
    expect(() => checkCaBundle(a, Date.now() + 200 * 86_400_000)).toThrow(/expired on/)
    expect(() => parseCertificates(`hello\n${a}`)).toThrow(CaBundleError)
    expect(() =>
      parseCertificates('-----BEGIN RSA PRIVATE KEY-----\nAA\n-----END RSA PRIVATE KEY-----\n')
    ).toThrow(/never upload a private key/)
  })
})
