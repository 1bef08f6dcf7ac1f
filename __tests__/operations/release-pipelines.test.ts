/**
 * Release pipelines in-process: `renew-within-days` and `github-secret` input errors, the
 * service-account variant of "not due", a secret store that refuses (401, unknown environment),
 * GITHUB_REPOSITORY missing, and list-certificates over the whole project. The same pipelines
 * through dist/ are in __tests__/dist/release-pipelines.test.ts.
 */
import { existsSync, readFileSync } from 'node:fs'
import { userExpiringIn as expiringUser } from '../support/emulator-fixtures.js'
import { startGitHubEmulator, type GitHubEmulator } from '../../emulator/github.js'
import {
  atlasRequests,
  filesIn,
  startAtlas,
  visible,
  type InProcessAtlas as Atlas
} from '../support/inprocess.js'

let atlas: Atlas
let github: GitHubEmulator
beforeAll(async () => {
  ;[atlas, github] = await Promise.all([startAtlas(), startGitHubEmulator()])
})
afterAll(() => Promise.all([atlas.close(), github.close()]))
beforeEach(() => {
  atlas.emulator.clearRequests()
  atlas.emulator.clearFaults()
  github.clearRequests()
})

const DAY = 86_400_000
const githubEnv = () => ({ GITHUB_API_URL: github.url, GITHUB_REPOSITORY: github.repository })

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

/** The main step, the PEM it wrote, then the post step. */
async function issueWithSecret(extra: Record<string, string>) {
  const runnerTemp = atlas.tempDir('runner-temp-')
  const options = {
    inputs: atlas.inputs('service-account', {
      username: 'release-bot',
      'github-secret': 'ATLAS_CERT',
      ...extra
    }),
    env: githubEnv(),
    runnerTemp
  }
  const main = await atlas.step('main', options)
  const file = main.outputs['certificate-file']
  const pem = file && existsSync(file) ? readFileSync(file, 'utf8') : undefined
  const post = await atlas.step('post', { ...options, state: main.state })
  return { main, post, pem, runnerTemp }
}

describe('create-certificate with github-secret', () => {
  it('an invalid token (401): one error that says the certificate exists, and the post step still removes the file', async () => {
    const token = github.tokens.invalid
    const { main, post, pem, runnerTemp } = await issueWithSecret({ 'github-token': token })
    expect(main.exitCode).toBe(1)
    expect(main.errors).toHaveLength(1)
    const error = main.errors[0]!
    expect(error.title).toBe('GitHub secret not stored')
    expect(error.message).toMatch(/did not accept/)
    expect(error.message).toContain('HTTP 401')
    expect(error.message).toMatch(/GITHUB_TOKEN cannot write secrets/)
    expect(error.message).toContain(`serial ${main.outputs['serial-number']}`)
    expect(error.message).toContain(`expires at ${main.outputs['expires-at']}`)
    expect(error.message).toContain(main.outputs['certificate-file'])
    expect(pem).toMatch(/-----BEGIN PRIVATE KEY-----/)
    expect(github.requests.at(-1)!.status).toBe(401)
    expect(main.outputs.issued).toBe('true')
    expect(main.summary).toContain('GitHub secret not stored')
    // Nothing but setSecret shows the token.
    expect(main.masks).toContain(token)
    expect(visible(main)).not.toContain(token)
    expect(post.exitCode).toBe(0)
    expect(post.log).toContain(`Removed the certificate file ${main.outputs['certificate-file']}`)
    expect(filesIn(runnerTemp)).toEqual([])
  })

  it('an unknown environment: 404, named, with the permission it needs', async () => {
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
  })

  it('not due: no secret written, and the notice says so', async () => {
    userExpiringIn('svc-secret-later', 200)
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
    expect(github.requests).toEqual([])
    expect(main.notices[0]!.message).toMatch(/No secret was written; LATER_CERT keeps its value/)
    expect(main.summary).toMatch(/LATER_CERT[^\n]*not written/)
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
    expect(Object.keys(certificates[0]!)).toEqual([
      'username',
      'id',
      'subject',
      'createdAt',
      'notAfter',
      'groupId'
    ])
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
