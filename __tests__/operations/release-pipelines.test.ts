/**
 * Release pipelines in-process: `renew-within-days` and `github-secret` input errors, the
 * service-account variant of "not due", a secret store that refuses (401, unknown environment),
 * GITHUB_REPOSITORY missing, rotation into a GitHub secret (the key read before minting, renewal
 * due when the secret does not hold the latest certificate, GitHub's failures retried and bounded
 * by timeout-seconds, what can go wrong after minting, hostile settings and server text), and
 * list-certificates over the whole project. The scenarios both tiers run are in
 * ../scenarios/release-pipelines.ts (run here and by __tests__/dist/release-pipelines.test.ts).
 */
import { expect, jest } from '@jest/globals'
import { userExpiringIn as expiringUser } from '../support/emulator-fixtures.js'
import { githubForFile } from '../support/harness.js'
import { octokitSecretStore } from '../../src/github/secret-store.js'
import {
  atlasForFile,
  atlasRequests,
  CERTIFICATE_ENTRY_FIELDS,
  filesIn,
  githubEnvOf,
  visible,
  type StepOptions
} from '../support/inprocess.js'
import {
  issueWithSecret as issueWithSecretOf,
  mintedFor,
  releasePipelineScenarios
} from '../scenarios/release-pipelines.js'

const atlas = atlasForFile()
const github = githubForFile()

releasePipelineScenarios(atlas, github)

const HOUR = 3_600_000
const DAY = 24 * HOUR
const githubEnv = () => githubEnvOf(github)

const userExpiringIn = (username: string, days: number) =>
  expiringUser(atlas.emulator, username, days)

const certsPath = (username: string) =>
  `/api/atlas/v2/groups/${atlas.emulator.groupId}/databaseUsers/${username}/certs`

describe('create-certificate with renew-within-days', () => {
  it('not due, with a service account: the token request and the list, nothing else', async () => {
    userExpiringIn('svc-later-sa', 200)
    const main = await atlas.step('main', {
      inputs: atlas.inputs('service-account', {
        username: 'svc-later-sa',
        'renew-within-days': '30'
      })
    })
    expect(main.outputs.issued).toBe('false')
    expect(atlasRequests(atlas.emulator).map(r => [r.method, r.path.split('?')[0]])).toEqual([
      ['POST', '/api/oauth/token'],
      ['GET', certsPath('svc-later-sa')]
    ])
  })

  it('without the input: always issues, without listing first', async () => {
    atlas.emulator.addUser(atlas.emulator.groupId, { username: 'svc-always' })
    const main = await atlas.step('main', {
      inputs: atlas.inputs('api-key', { username: 'svc-always' })
    })
    expect(main.outputs.issued).toBe('true')
    expect(atlasRequests(atlas.emulator).map(r => r.method)).toEqual(['POST', 'POST'])
  })

  it.each(['-1', '731', 'soon'])(
    'renew-within-days %s is an input error before any request',
    async value => {
      const main = await atlas.step('main', {
        inputs: atlas.inputs('api-key', { username: 'svc-soon', 'renew-within-days': value })
      })
      expect(main.errors).toEqual([
        expect.objectContaining({ title: 'Invalid input: renew-within-days' })
      ])
      expect(atlasRequests(atlas.emulator)).toHaveLength(0)
    }
  )
})

const issueWithSecret = (extra: Record<string, string>) => issueWithSecretOf(atlas, github, extra)

describe('create-certificate with github-secret', () => {
  it('an invalid token (401): refused before minting, 0 certificates, and the error says what to grant', async () => {
    const token = github.tokens.invalid
    const { main, post, runnerTemp } = await issueWithSecret({ 'github-token': token })
    expect(main.exitCode).toBe(1)
    expect(main.errors).toHaveLength(1)
    const error = main.errors[0]!
    expect(error.title).toBe('GitHub secret not stored')
    expect(error.message).toMatch(/did not accept/)
    expect(error.message).toContain('HTTP 401')
    expect(error.message).toMatch(/"Secrets: Read and write"/)
    expect(error.message).toMatch(/Nothing was issued/)
    expect(minted('release-bot')).toEqual([])
    expect(
      atlasRequests(atlas.emulator).filter(r => r.method === 'POST' && r.path.includes('/certs'))
    ).toEqual([])
    expect(github.requests.map(r => [r.method, r.status])).toEqual([['GET', 401]])
    expect(main.outputs.issued).toBeUndefined()
    expect(main.masks).toContain(token)
    expect(visible(main)).not.toContain(token)
    expect(post.exitCode).toBe(0)
    expect(filesIn(runnerTemp)).toEqual([])
  })

  it('an unknown environment: 404 on the key, named, with the permission it needs, nothing minted', async () => {
    const { main } = await issueWithSecret({
      'github-token': github.tokens.write,
      'github-secret-environment': 'staging'
    })
    expect(main.errors).toEqual([
      expect.objectContaining({
        title: 'GitHub secret not stored',
        message: expect.stringMatching(
          /environment "staging" of octo-org\/release-app does not exist[\s\S]*"Environments: Read and write"/
        )
      })
    ])
    expect(minted('release-bot')).toEqual([])
  })

  it('not due: the secret holds the latest certificate; only its metadata is read, nothing written', async () => {
    userExpiringIn('svc-secret-later', 200)
    github.seedSecret(github.repository, 'LATER_CERT', new Date())
    const main = await atlas.step('main', {
      inputs: atlas.inputs('api-key', {
        username: 'svc-secret-later',
        'renew-within-days': '30',
        'github-secret': 'LATER_CERT',
        'github-token': github.tokens.write
      }),
      env: githubEnv()
    })
    expect(main.exitCode).toBe(0)
    expect(main.outputs.issued).toBe('false')
    expect(main.outputs['renewal-reason']).toBe('not-due')
    expect(github.requests.map(r => [r.method, r.path, r.status])).toEqual([
      ['GET', '/repos/octo-org/release-app/actions/secrets/LATER_CERT', 200]
    ])
    expect(main.notices[0]!.message).toMatch(/No secret was written; LATER_CERT keeps its value/)
    expect(main.summary).toMatch(/LATER_CERT[^\n]*not written/)
  })

  it('without renew-within-days: renewal-reason always; the key is read before the POST', async () => {
    const { main } = await issueWithSecret({ 'github-token': github.tokens.write })
    expect(main.exitCode).toBe(0)
    expect(main.outputs['renewal-reason']).toBe('always')
    expect(github.requests.map(r => [r.method, r.path.split('/').at(-1)])).toEqual([
      ['GET', 'public-key'],
      ['PUT', 'ATLAS_CERT']
    ])
  })

  it.each([
    [{ 'github-secret': 'ATLAS_CERT' }, 'github-token'],
    [{ 'github-secret-environment': 'production' }, 'github-secret-environment'],
    [{ 'github-secret': 'GITHUB_CERT', 'github-token': 't0ken-value' }, 'github-secret'],
    [{ 'github-secret': 'ATLAS-CERT', 'github-token': 't0ken-value' }, 'github-secret']
  ])('%j: Invalid input: %s, before any request', async (extra, input) => {
    const main = await atlas.step('main', {
      inputs: atlas.inputs('api-key', { username: 'ci-user', ...extra }),
      env: githubEnv()
    })
    expect(main.errors).toEqual([expect.objectContaining({ title: `Invalid input: ${input}` })])
    expect(atlasRequests(atlas.emulator)).toHaveLength(0)
    expect(github.requests).toHaveLength(0)
  })

  it('without GITHUB_REPOSITORY: an input error before any request', async () => {
    const main = await atlas.step('main', {
      inputs: atlas.inputs('api-key', {
        username: 'ci-user',
        'github-secret': 'ATLAS_CERT',
        'github-token': github.tokens.write
      }),
      env: { GITHUB_API_URL: github.url }
    })
    expect(main.errors).toEqual([
      expect.objectContaining({
        title: 'Invalid input: github-secret',
        message: expect.stringMatching(/GITHUB_REPOSITORY/)
      })
    ])
    expect(atlasRequests(atlas.emulator)).toHaveLength(0)
  })
})

const minted = (username: string) => mintedFor(atlas, username)
const certificatePosts = () =>
  atlasRequests(atlas.emulator).filter(r => r.method === 'POST' && r.path.includes('/certs'))

/** create-certificate for `username` into secret `name`, renewing within 30 days. */
function rotate(
  username: string,
  name: string,
  extra: Record<string, string> = {},
  options: StepOptions = {}
) {
  const { emulator } = atlas
  if (!emulator.users(emulator.groupId).some(user => user.username === username))
    emulator.addUser(emulator.groupId, { username })
  return atlas.step('main', {
    inputs: atlas.inputs('api-key', {
      username,
      'renew-within-days': '30',
      'github-secret': name,
      'github-token': github.tokens.write,
      ...extra
    }),
    env: githubEnv(),
    ...options
  })
}

describe('renewal that knows whether the secret holds the certificate', () => {
  it('a refused token mints nothing; the next run with a good token issues and stores (secret-missing)', async () => {
    expiringUser(atlas.emulator, 'rot-missing', 200)
    const refused = await rotate('rot-missing', 'ROT_MISSING', {
      'github-token': github.tokens.invalid
    })
    expect(refused.errors).toEqual([
      expect.objectContaining({
        title: 'GitHub secret not stored',
        message: expect.stringMatching(/HTTP 401[\s\S]*Nothing was issued/)
      })
    ])
    expect(minted('rot-missing')).toEqual([])
    expect(certificatePosts()).toEqual([])

    const next = await rotate('rot-missing', 'ROT_MISSING')
    expect(next.exitCode).toBe(0)
    expect(next.outputs['renewal-reason']).toBe('secret-missing')
    expect(next.outputs.issued).toBe('true')
    expect(minted('rot-missing')).toHaveLength(1)
    expect(github.secret(github.repository, 'ROT_MISSING')).toBeDefined()
    // Metadata, key, write: the key is read once and used to seal.
    expect(
      github.requests.slice(-3).map(r => [r.method, r.path.split('/').at(-1), r.status])
    ).toEqual([
      ['GET', 'ROT_MISSING', 404],
      ['GET', 'public-key', 200],
      ['PUT', 'ROT_MISSING', 201]
    ])
  })

  it('a secret updated before the latest certificate was created: issued (secret-stale)', async () => {
    expiringUser(atlas.emulator, 'rot-stale', 200) // created a day ago
    github.seedSecret(github.repository, 'ROT_STALE', new Date(Date.now() - 2 * DAY))
    const main = await rotate('rot-stale', 'ROT_STALE')
    expect(main.exitCode).toBe(0)
    expect(main.outputs['renewal-reason']).toBe('secret-stale')
    expect(main.outputs.issued).toBe('true')
    expect(minted('rot-stale')).toHaveLength(1)
    expect(main.info.join('\n')).toMatch(/never reached it/)
  })

  it('an up-to-date secret: not-due, nothing minted, no key read', async () => {
    expiringUser(atlas.emulator, 'rot-fresh', 200)
    github.seedSecret(github.repository, 'ROT_FRESH', new Date(Date.now() - HOUR))
    const main = await rotate('rot-fresh', 'ROT_FRESH')
    expect(main.exitCode).toBe(0)
    expect(main.outputs['renewal-reason']).toBe('not-due')
    expect(main.outputs.issued).toBe('false')
    expect(minted('rot-fresh')).toEqual([])
    expect(github.requests.map(r => r.path.split('/').at(-1))).toEqual(['ROT_FRESH'])
  })

  it('an expiring certificate with an up-to-date secret: expiring', async () => {
    expiringUser(atlas.emulator, 'rot-expiring', 10)
    github.seedSecret(github.repository, 'ROT_EXPIRING', new Date(Date.now() - HOUR))
    const main = await rotate('rot-expiring', 'ROT_EXPIRING')
    expect(main.outputs['renewal-reason']).toBe('expiring')
    expect(minted('rot-expiring')).toHaveLength(1)
  })
})

describe('GitHub failures', () => {
  it('5xx answers are retried on the step clock: the key read, then the write after minting', async () => {
    github.fail({ fault: { kind: 'status', status: 502 }, pathIncludes: 'public-key', times: 1 })
    github.fail({ fault: { kind: 'status', status: 503 }, method: 'PUT', times: 2 })
    const main = await rotate('rot-retried', 'ROT_RETRIED', { 'renew-within-days': '' }, {})
    expect(main.errors).toEqual([])
    expect(main.outputs.issued).toBe('true')
    expect(github.secret(github.repository, 'ROT_RETRIED')).toBeDefined()
    expect(github.requests.map(r => r.status)).toEqual([502, 200, 503, 503, 201])
    expect(main.clock.sleeps.length).toBeGreaterThanOrEqual(3)
  })

  it('a GitHub 429 is a GitHub rate-limit notice, retried, and never called Atlas', async () => {
    github.fail({ fault: { kind: 'status', status: 429 }, method: 'PUT', times: 1 })
    const main = await rotate('rot-429', 'ROT_429', { 'renew-within-days': '' }, {})
    expect(main.errors).toEqual([])
    expect(github.secret(github.repository, 'ROT_429')).toBeDefined()
    expect(main.notices).toEqual([
      expect.objectContaining({
        title: 'GitHub rate limit',
        message: expect.stringMatching(/^GitHub PUT .*HTTP 429.*retry 1 of/)
      })
    ])
    expect(main.notices[0]!.message).not.toContain('Atlas')
  })

  it('a 5xx that persists after minting: retried max-retries times, then one error naming the certificate', async () => {
    github.fail({ fault: { kind: 'status', status: 500 }, method: 'PUT' })
    const main = await rotate('rot-500', 'ROT_500', { 'renew-within-days': '', 'max-retries': '2' })
    expect(github.requests.filter(r => r.method === 'PUT')).toHaveLength(3)
    expect(main.errors).toHaveLength(1)
    expect(main.errors[0]!.message).toContain(`serial ${main.outputs['serial-number']}`)
    expect(main.errors[0]!.message).toContain(`expires at ${main.outputs['expires-at']}`)
    expect(main.errors[0]!.message).toContain(main.outputs['certificate-file'])
  })

  it('connection refused: retried on the step clock, then "no answer", nothing minted', async () => {
    const main = await atlas.step('main', {
      inputs: atlas.inputs('api-key', {
        username: 'rot-refused',
        'github-secret': 'ROT_REFUSED',
        'github-token': github.tokens.write,
        'max-retries': '2'
      }),
      env: { GITHUB_API_URL: 'http://127.0.0.1:1', GITHUB_REPOSITORY: github.repository }
    })
    expect(main.errors).toEqual([
      expect.objectContaining({
        message: expect.stringMatching(
          /no usable answer to reading the public key[\s\S]*connection refused \(after 3 attempts\)/
        )
      })
    ])
    expect(main.clock.sleeps).toHaveLength(2)
    expect(certificatePosts()).toEqual([])
  })

  it('a GitHub API that never answers ends within timeout-seconds, and the error says so', async () => {
    github.fail({ fault: { kind: 'hang' }, method: 'PUT' })
    const started = Date.now()
    const main = await rotate('rot-hang', 'ROT_HANG', {
      'renew-within-days': '',
      'timeout-seconds': '2'
    })
    // Today: 300 s (undici's header timeout), reported as HTTP 500.
    expect(Date.now() - started).toBeLessThan(30_000)
    expect(main.errors).toHaveLength(1)
    expect(main.errors[0]!.message).toMatch(/timeout-seconds/)
    expect(main.errors[0]!.message).not.toContain('HTTP 500')
    expect(main.errors[0]!.message).toContain(`serial ${main.outputs['serial-number']}`)
  })

  it('a redirect is not followed: nothing minted, the error names it', async () => {
    github.fail({
      fault: {
        kind: 'redirect',
        location: `${github.url}/repos/octo-org/release-app/actions/secrets/public-key?followed`
      },
      pathIncludes: 'public-key',
      times: 1
    })
    const main = await rotate('rot-redirect', 'ROT_REDIRECT', { 'renew-within-days': '' })
    expect(github.requests.map(r => [r.path, r.status])).toEqual([
      ['/repos/octo-org/release-app/actions/secrets/public-key', 302]
    ])
    expect(main.errors).toEqual([
      expect.objectContaining({ message: expect.stringMatching(/HTTP 302[\s\S]*not followed/) })
    ])
    expect(minted('rot-redirect')).toEqual([])
  })

  it.each([
    ['all zeros (order 4)', Buffer.alloc(32).toString('base64')],
    ['1 (order 1)', Buffer.from([1, ...Array<number>(31).fill(0)]).toString('base64')],
    [
      'an order-8 point',
      Buffer.from(
        'e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800',
        'hex'
      ).toString('base64')
    ],
    ['p - 1 (order 2)', Buffer.from('ec' + 'ff'.repeat(30) + '7f', 'hex').toString('base64')],
    ['31 bytes', Buffer.alloc(31, 9).toString('base64')],
    ['not base64', '!!not-a-key!!']
  ])('a public key that is %s: refused before minting', async (_, key) => {
    github.fail({ fault: { kind: 'bad-key', key }, pathIncludes: 'public-key' })
    const main = await rotate('rot-bad-key', 'ROT_BAD_KEY', { 'renew-within-days': '' })
    expect(main.errors).toEqual([
      expect.objectContaining({
        title: 'GitHub secret not stored',
        message: expect.stringMatching(/public key[\s\S]*Nothing was issued/)
      })
    ])
    expect(certificatePosts()).toEqual([])
    expect(github.requests.filter(r => r.method === 'PUT')).toEqual([])
  })
})

describe('after minting, any failure names the certificate', () => {
  it('a store that throws something other than a GitHub error: serial, expiry and file', async () => {
    const main = await rotate(
      'rot-typeerror',
      'ROT_TYPEERROR',
      { 'renew-within-days': '' },
      {
        githubSecretStore: async connection => {
          const store = await octokitSecretStore(connection)
          return {
            publicKey: destination => store.publicKey(destination),
            secretState: destination => store.secretState(destination),
            put: () =>
              Promise.reject(new TypeError("Cannot read properties of undefined (reading 'key')")),
            get requestCount() {
              return store.requestCount
            }
          }
        }
      }
    )
    expect(main.errors).toHaveLength(1)
    const { title, message } = main.errors[0]!
    expect(title).toBe('GitHub secret not stored')
    expect(message).toContain(`serial ${main.outputs['serial-number']}`)
    expect(message).toContain(`expires at ${main.outputs['expires-at']}`)
    expect(message).toContain(main.outputs['certificate-file'])
    expect(message).toContain('Cannot read properties')
  })

  it('the store code cannot be loaded (a missing chunk): nothing minted, one titled error', async () => {
    const main = await rotate(
      'rot-chunk',
      'ROT_CHUNK',
      { 'renew-within-days': '' },
      {
        githubSecretStore: () =>
          Promise.reject(new Error("Cannot find module '/action/dist/main/136.index.js'"))
      }
    )
    expect(main.errors).toEqual([
      expect.objectContaining({
        title: 'GitHub secret not stored',
        message: expect.stringMatching(/could not be loaded[\s\S]*nothing was issued/)
      })
    ])
    expect(atlasRequests(atlas.emulator)).toEqual([])
  })
})

describe('hostile settings and server text', () => {
  it.each([
    ['http://api.github.example', /must be https/],
    ['https://user:pass@api.github.example', /user name or password/],
    ['https://x-access-token@api.github.example', /user name or password/]
  ])('GITHUB_API_URL %s: an input error before any request', async (url, problem) => {
    const main = await atlas.step('main', {
      inputs: atlas.inputs('api-key', {
        username: 'rot-url',
        'github-secret': 'ROT_URL',
        'github-token': github.tokens.write
      }),
      env: { GITHUB_API_URL: url, GITHUB_REPOSITORY: github.repository }
    })
    expect(main.errors).toEqual([
      expect.objectContaining({
        title: 'Invalid input: github-secret',
        message: expect.stringMatching(problem)
      })
    ])
    expect(atlasRequests(atlas.emulator)).toEqual([])
  })

  it.each(['..', '.', 'prod/../x', 'prod\u0007'])(
    'github-secret-environment %j: an input error before any request',
    async environment => {
      const main = await rotate('rot-env', 'ROT_ENV', { 'github-secret-environment': environment })
      expect(main.errors).toEqual([
        expect.objectContaining({ title: 'Invalid input: github-secret-environment' })
      ])
      expect(atlasRequests(atlas.emulator)).toEqual([])
      expect(github.requests).toEqual([])
    }
  )

  it("Octokit's log never prints a Deprecation header raw: no runner command from server text", async () => {
    github.fail({ fault: { kind: 'deprecation', sunset: '::error::forged ##[error]forged' } })
    const written: string[] = []
    const spies = (['log', 'info', 'warn', 'error', 'debug'] as const).map(level =>
      jest.spyOn(console, level).mockImplementation((...args: unknown[]) => {
        written.push(args.map(String).join(' '))
      })
    )
    let main
    try {
      main = await rotate('rot-deprecated', 'ROT_DEPRECATED', { 'renew-within-days': '' })
    } finally {
      for (const spy of spies) spy.mockRestore()
    }
    expect(main.exitCode).toBe(0)
    expect(written).toEqual([])
    const deprecation = main.debug.filter(line => line.includes('deprecated'))
    expect(deprecation.length).toBeGreaterThan(0)
    for (const line of main.debug) expect(line).not.toContain('##[')
    expect(main.log.split('\n').filter(line => /^\s*::error::/.test(line))).toEqual([])
  })
})

it('leaves no file behind in the runner temp of a refused run', async () => {
  const runnerTemp = atlas.tempDir('runner-temp-')
  await rotate('rot-temp', 'ROT_TEMP', { 'github-token': github.tokens.invalid }, { runnerTemp })
  expect(filesIn(runnerTemp)).toEqual([])
})

describe('list-certificates without username', () => {
  it('lists every Atlas-managed X.509 user, warns per user for the newest certificate only, and tabulates by days left', async () => {
    const { emulator } = atlas
    const group = emulator.groupId
    const seed = (username: string, days: number[]) => {
      emulator.addUser(group, { username })
      for (const d of days)
        emulator.addCertificateRecord(group, username, {
          createdAt: new Date(Date.now() - DAY),
          notAfter: new Date(Date.now() + d * DAY),
          subject: `CN=${username}`
        })
    }
    seed('watch-renewed', [5, 300]) // the 5-day one is superseded: no warning
    seed('watch-due', [12])
    seed('watch-fine', [90])
    emulator.addUser(group, { username: 'watch-customer', x509Type: 'CUSTOMER' })
    emulator.addUser(group, { username: 'watch-scram', databaseName: 'admin', x509Type: 'NONE' })
    emulator.clearRequests()

    const main = await atlas.step('main', {
      inputs: atlas.inputs('api-key', { operation: 'list-certificates' })
    })
    expect(main.exitCode).toBe(0)
    const managed = emulator
      .users(group)
      .filter(u => u.databaseName === '$external' && u.x509Type === 'MANAGED')
      .map(u => u.username)
    const certificates = JSON.parse(main.outputs.certificates!) as Array<{
      username: string
      id: string
      notAfter: string
    }>
    expect(Object.keys(certificates[0]!)).toEqual(CERTIFICATE_ENTRY_FIELDS)
    expect(new Set(certificates.map(c => c.username)).size).toBeLessThanOrEqual(managed.length)
    expect(certificates.map(c => c.username)).not.toContain('watch-customer')
    expect(certificates.filter(c => c.username.startsWith('watch-')).map(c => c.username)).toEqual([
      'watch-renewed',
      'watch-due',
      'watch-fine',
      'watch-renewed'
    ])
    const sorted = [...certificates].sort((a, b) => Date.parse(a.notAfter) - Date.parse(b.notAfter))
    expect(certificates).toEqual(sorted)
    expect(main.outputs.count).toBe(String(certificates.length))
    expect(main.outputs['next-expiry']).toBe(certificates[0]!.notAfter)
    expect(main.outputs['latest-expiry']).toBe(certificates.at(-1)!.notAfter)
    const warned = main.warnings.map(w => w.message)
    expect(warned.some(m => m.includes('watch-due'))).toBe(true)
    expect(warned.some(m => m.includes('watch-renewed'))).toBe(false)
    expect(warned.some(m => m.includes('watch-fine'))).toBe(false)
    // One user list, then one certificate list per managed user.
    const pages = atlasRequests(emulator).filter(r => r.status === 200)
    expect(pages.filter(r => r.path.includes('/databaseUsers?'))).toHaveLength(1)
    expect(pages.filter(r => r.path.includes('/certs?'))).toHaveLength(managed.length)
    // The summary table: one row per certificate, with a status.
    const table = main.summaries.find(s => s.rows[0]?.includes('Status'))!
    expect(table.rows[0]!.at(-1)).toBe('Status')
    const statusOf = (username: string) =>
      table.rows.filter(row => row[0] === username && row.length === 6).map(row => row[5])
    expect(statusOf('watch-due')).toEqual(['renew soon'])
    expect(statusOf('watch-fine')).toEqual(['ok'])
  })
})
