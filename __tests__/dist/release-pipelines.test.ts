/**
 * Release pipelines through dist/: create-certificate only when due (`renew-within-days`), the PEM
 * sealed into a GitHub secret (`github-secret`), and the github-secret chunks loaded only on demand.
 * Input errors, the other refusals and list-certificates over the whole project run in-process
 * (__tests__/operations/release-pipelines.test.ts).
 */
import { expect } from '@jest/globals'
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { userExpiringIn as expiringUser } from '../support/emulator-fixtures.js'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { startGitHubEmulator, type GitHubEmulator } from '../../emulator/github.js'
import { tempDir } from '../../scripts/lib/step.js'
import { atlasRequests, filesIn, startAtlas, type Atlas } from '../support/atlas.js'
import { rootCa } from '../support/pki.js'

// Opens the sealed secret with libsodium itself, independent of the tweetnacl code the action uses.
const sodium = createRequire(import.meta.url)(
  'libsodium-wrappers'
) as typeof import('libsodium-wrappers')

/** Summary text as a browser shows it: numeric HTML entities decoded. */
const shownText = (html: string) =>
  html.replace(/&#(\d+);/g, (_, code: string) => String.fromCharCode(Number(code)))

let atlas: Atlas
let github: GitHubEmulator
beforeAll(async () => {
  ;[atlas, github] = await Promise.all([startAtlas(), startGitHubEmulator()])
  await sodium.ready
})
afterAll(() => Promise.all([atlas.close(), github.close()]))
beforeEach(() => {
  atlas.emulator.clearRequests()
  atlas.emulator.clearFaults()
  github.clearRequests()
  github.clearFaults()
})

const DAY = 86_400_000
const githubEnv = () => ({ GITHUB_API_URL: github.url, GITHUB_REPOSITORY: github.repository })

const userExpiringIn = (username: string, days: number) =>
  expiringUser(atlas.emulator, username, days)

// Runner temp folders, inspected by each test and removed with the file.
const runnerTemps: string[] = []
const runnerTempDir = () => {
  const folder = tempDir('runner-temp-')
  runnerTemps.push(folder)
  return folder
}
afterAll(() => {
  for (const folder of runnerTemps) rmSync(folder, { recursive: true, force: true })
})

const certsPath = (username: string) =>
  `/api/atlas/v2/groups/${atlas.emulator.groupId}/databaseUsers/${username}/certs`

describe('create-certificate with renew-within-days', () => {
  it('not due (latest expires in 200 days, renew within 30): issues nothing, in 2 requests', async () => {
    const expiresAt = userExpiringIn('svc-later', 200)
    const runnerTemp = runnerTempDir()
    const main = await atlas.step('main', {
      inputs: atlas.inputs('api-key', { username: 'svc-later', 'renew-within-days': '30' }),
      runnerTemp
    })
    expect(main.exitCode).toBe(0)
    expect(main.errors).toEqual([])
    // The digest challenge, then the list: no POST.
    expect(
      atlasRequests(atlas.emulator).map(r => [r.method, r.path.split('?')[0], r.status])
    ).toEqual([
      ['GET', certsPath('svc-later'), 401],
      ['GET', certsPath('svc-later'), 200]
    ])
    expect(
      atlas.emulator
        .issuedCertificates(atlas.emulator.groupId, 'svc-later')
        .filter(c => c.serialNumber)
    ).toEqual([])
    expect(main.outputs).toEqual({
      'renewal-reason': 'not-due',
      issued: 'false',
      username: 'svc-later',
      'expires-at': expiresAt
    })
    expect(filesIn(runnerTemp)).toEqual([])
    expect(main.state).toMatchObject({ 'certificate-file': '', 'ephemeral-user': '' })
    const dueAt = new Date(Date.parse(expiresAt) - 30 * DAY).toISOString()
    expect(main.notices).toEqual([
      {
        level: 'notice',
        title: 'Certificate not due for renewal',
        message: expect.stringContaining(`Renewal is due from ${dueAt}`)
      }
    ])
    expect(main.summary).toContain('Issued')
    expect(main.summary).toMatch(/no: the latest certificate is valid for more than 30 days/)
  })

  it('due (latest expires in 10 days, renew within 30): issues one, in 3 requests', async () => {
    userExpiringIn('svc-soon', 10)
    const { main, post, runnerTemp } = await atlas.job({
      inputs: atlas.inputs('api-key', { username: 'svc-soon', 'renew-within-days': '30' })
    })
    expect(main.exitCode).toBe(0)
    expect(main.outputs.issued).toBe('true')
    const requests = atlasRequests(atlas.emulator).filter(r => r.status !== 401)
    expect(requests.map(r => [r.method, r.path.split('?')[0], r.status])).toEqual([
      ['GET', certsPath('svc-soon'), 200],
      ['POST', certsPath('svc-soon'), 201]
    ])
    const issued = atlas.emulator
      .issuedCertificates(atlas.emulator.groupId, 'svc-soon')
      .filter(c => c.serialNumber)
    expect(issued).toHaveLength(1)
    expect(main.outputs['expires-at']).toBe(issued[0]!.notAfter.toISOString())
    expect(main.summary).toMatch(/yes: renewal was due/)
    expect(post.exitCode).toBe(0)
    expect(filesIn(runnerTemp)).toEqual([])
  })
})

/** Opens a stored secret with the store's private key (libsodium's crypto_box_seal_open). */
function openSecret(environment?: string, name = 'ATLAS_CERT'): string {
  const stored = github.secret(github.repository, name, environment)
  expect(stored).toBeDefined()
  const keys = github.keyPair(github.repository, environment)
  expect(stored!.key_id).toBe(keys.keyId)
  const opened = sodium.crypto_box_seal_open(
    new Uint8Array(Buffer.from(stored!.encrypted_value, 'base64')),
    keys.publicKey,
    keys.privateKey
  )
  return Buffer.from(opened).toString('utf8')
}

/** The main step, the PEM it wrote, then the post step. */
async function issueWithSecret(extra: Record<string, string>) {
  const runnerTemp = runnerTempDir()
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

/** Nothing but the ::add-mask:: line shows the token. */
function expectTokenNotShown(
  result: { stdout: string; stderr: string; files: Record<string, string> },
  token: string
) {
  const shown = [
    result.stdout
      .split('\n')
      .filter(l => !l.startsWith('::add-mask::'))
      .join('\n'),
    result.stderr,
    ...Object.values(result.files)
  ]
  for (const text of shown) expect(text).not.toContain(token)
}

describe('create-certificate with github-secret', () => {
  it.each([
    ['a repository secret', undefined, '/repos/octo-org/release-app/actions/secrets'],
    [
      'an environment secret',
      'production',
      '/repos/octo-org/release-app/environments/production/secrets'
    ]
  ])(
    'stores %s that decrypts to exactly the issued PEM, in 2 GitHub requests',
    async (_, environment, base) => {
      const { main, post, pem, runnerTemp } = await issueWithSecret({
        'github-token': github.tokens.write,
        ...(environment ? { 'github-secret-environment': environment } : {})
      })
      expect(main.exitCode).toBe(0)
      expect(main.errors).toEqual([])
      expect(main.outputs.issued).toBe('true')
      expect(main.outputs.certificate).toBeUndefined()
      expect(pem).toMatch(/-----BEGIN PRIVATE KEY-----/)
      expect(openSecret(environment)).toBe(pem)
      expect(github.requests.map(r => [r.method, r.path, r.status, r.token])).toEqual([
        ['GET', `${base}/public-key`, 200, github.tokens.write],
        ['PUT', `${base}/ATLAS_CERT`, expect.any(Number), github.tokens.write]
      ])
      expect(main.masks).toContain(github.tokens.write)
      expectTokenNotShown(main, github.tokens.write)
      // The sealed value is not printed either.
      expect(main.stdout).not.toContain(
        github.secret(github.repository, 'ATLAS_CERT', environment)!.encrypted_value
      )
      // Summary cells escape Markdown characters as HTML entities (`_` is &#95;): compare as shown.
      expect(shownText(main.summary)).toContain('ATLAS_CERT')
      expect(main.summary).toMatch(/written/)
      expect(post.exitCode).toBe(0)
      expect(filesIn(runnerTemp)).toEqual([])
    }
  )

  it('a token without permission (403): one error that says the certificate exists, and the post step still removes the file', async () => {
    const token = github.tokens.readOnly
    const { main, post, pem, runnerTemp } = await issueWithSecret({ 'github-token': token })
    expect(main.exitCode).toBe(1)
    expect(main.errors).toHaveLength(1)
    const error = main.errors[0]!
    expect(error.title).toBe('GitHub secret not stored')
    expect(error.message).toMatch(/"Secrets: Read and write"/)
    expect(error.message).toContain('HTTP 403')
    expect(error.message).toMatch(/GITHUB_TOKEN cannot write secrets/)
    expect(error.message).toContain(`serial ${main.outputs['serial-number']}`)
    expect(error.message).toContain(`expires at ${main.outputs['expires-at']}`)
    expect(error.message).toContain(main.outputs['certificate-file'])
    expect(pem).toBeDefined()
    expect(github.requests.at(-1)!.status).toBe(403)
    expect(main.outputs.issued).toBe('true')
    expect(main.summary).toContain('GitHub secret not stored')
    expectTokenNotShown(main, token)
    expect(post.exitCode).toBe(0)
    expect(post.stdout).toContain(
      `Removed the certificate file ${main.outputs['certificate-file']}`
    )
    expect(filesIn(runnerTemp)).toEqual([])
  })
})

describe('the release sequence: renewal knows whether the secret holds the certificate', () => {
  const minted = (username: string) =>
    atlas.emulator.issuedCertificates(atlas.emulator.groupId, username).filter(c => c.serialNumber)
  const rotate = (token: string) =>
    atlas.step('main', {
      inputs: atlas.inputs('api-key', {
        username: 'svc-rotation',
        'renew-within-days': '30',
        'github-secret': 'ROTATED_CERT',
        'github-token': token
      }),
      env: githubEnv(),
      runnerTemp: runnerTempDir()
    })

  it('refused token → 0 minted; good token → secret-missing; stale secret → secret-stale; up to date → not-due', async () => {
    userExpiringIn('svc-rotation', 200) // a valid certificate, created a day ago, that no secret holds

    const refused = await rotate(github.tokens.invalid)
    expect(refused.exitCode).toBe(1)
    expect(refused.errors).toEqual([
      expect.objectContaining({
        title: 'GitHub secret not stored',
        message: expect.stringMatching(
          /HTTP 401[\s\S]*GITHUB_TOKEN cannot write secrets[\s\S]*Nothing was issued/
        )
      })
    ])
    expect(minted('svc-rotation')).toEqual([])
    expectTokenNotShown(refused, github.tokens.invalid)

    const stored = await rotate(github.tokens.write)
    expect(stored.exitCode).toBe(0)
    expect(stored.outputs['renewal-reason']).toBe('secret-missing')
    expect(stored.outputs.issued).toBe('true')
    expect(minted('svc-rotation')).toHaveLength(1)
    expect(openSecret(undefined, 'ROTATED_CERT')).toMatch(/-----BEGIN PRIVATE KEY-----/)

    github.seedSecret(github.repository, 'ROTATED_CERT', new Date(Date.now() - 2 * DAY))
    const stale = await rotate(github.tokens.write)
    expect(stale.outputs['renewal-reason']).toBe('secret-stale')
    expect(stale.outputs.issued).toBe('true')
    expect(minted('svc-rotation')).toHaveLength(2)
    expect(openSecret(undefined, 'ROTATED_CERT')).toContain(
      readFileSync(stale.outputs['certificate-file']!, 'utf8')
    )

    github.clearRequests()
    const upToDate = await rotate(github.tokens.write)
    expect(upToDate.exitCode).toBe(0)
    expect(upToDate.outputs['renewal-reason']).toBe('not-due')
    expect(upToDate.outputs.issued).toBe('false')
    expect(minted('svc-rotation')).toHaveLength(2)
    expect(github.requests.map(r => [r.method, r.path, r.status])).toEqual([
      ['GET', '/repos/octo-org/release-app/actions/secrets/ROTATED_CERT', 200]
    ])
  })

  it("a Deprecation header from GitHub never becomes a runner command (Octokit's log is escaped)", async () => {
    github.fail({ fault: { kind: 'deprecation', sunset: '::error::forged ##[error]forged' } })
    try {
      const { main } = await issueWithSecret({ 'github-token': github.tokens.write })
      expect(main.exitCode).toBe(0)
      const lines = `${main.stdout}\n${main.stderr}`.split('\n')
      expect(lines.filter(line => /^\s*::error::/.test(line) || line.includes('##['))).toEqual([])
      expect(main.errors).toEqual([])
    } finally {
      github.clearFaults()
    }
  })
})

describe('lazy loading', () => {
  /** Runs a main step with a module hook that records every file Node loads. */
  async function loadedFiles(extra: Record<string, string>): Promise<string[]> {
    const dir = mkdtempSync(join(tmpdir(), 'loads-'))
    const log = join(dir, 'loaded.txt')
    writeFileSync(log, '')
    writeFileSync(
      join(dir, 'hooks.mjs'),
      `import { appendFileSync } from 'node:fs'\nexport async function load(url, context, next) { appendFileSync(${JSON.stringify(log)}, url + '\\n'); return next(url, context) }\n`
    )
    writeFileSync(
      join(dir, 'register.mjs'),
      `import { register } from 'node:module'\nregister(${JSON.stringify(pathToFileURL(join(dir, 'hooks.mjs')).href)})\n`
    )
    const main = await atlas.step('main', {
      inputs: atlas.inputs('api-key', { username: 'release-bot', ...extra }),
      env: {
        ...githubEnv(),
        NODE_OPTIONS: `--import=${pathToFileURL(join(dir, 'register.mjs')).href}`
      }
    })
    expect(main.exitCode).toBe(0)
    const loaded = readFileSync(log, 'utf8')
    rmSync(dir, { recursive: true, force: true })
    return loaded
      .split('\n')
      .filter(url => url.includes('/dist/main/'))
      .map(url => url.slice(url.lastIndexOf('/') + 1))
  }

  it('dist/main has separate chunk files; a step without github-secret loads none of them', async () => {
    // The MongoDB driver's chunk is verify-login's, not github-secret's.
    const chunks = readdirSync('dist/main').filter(
      name =>
        /^\d+\.index\.js$/.test(name) &&
        !readFileSync(join('dist/main', name), 'utf8').includes('MongoClient')
    )
    const issuerChunks = chunks.filter(isIssuerChunk)
    expect(chunks.length).toBeGreaterThanOrEqual(2)
    expect(await loadedFiles({})).toEqual(['index.js'])
    const withSecret = await loadedFiles({
      'github-secret': 'LAZY_CERT',
      'github-token': github.tokens.write
    })
    expect(withSecret[0]).toBe('index.js')
    expect(withSecret.slice(1).sort()).toEqual(
      chunks.filter(name => !issuerChunks.includes(name)).sort()
    )
  })

  it('the X.509 library loads only for a step with an issuer, and only its own chunks', async () => {
    const issuerChunks = readdirSync('dist/main').filter(
      name => /^\d+\.index\.js$/.test(name) && isIssuerChunk(name)
    )
    expect(issuerChunks.length).toBeGreaterThanOrEqual(1)
    const root = rootCa('Lazy Root CA')
    atlas.emulator.setCustomerX509(atlas.emulator.groupId, root.pem)
    atlas.emulator.recordSecret(root.keyPem.trim())
    try {
      const withIssuer = await loadedFiles({
        operation: 'create-ephemeral-user',
        roles: 'read@app',
        'wait-until-ready': 'false',
        'issuer-certificate': root.pem,
        'issuer-key': root.keyPem
      })
      expect(withIssuer[0]).toBe('index.js')
      expect(withIssuer.slice(1).sort()).toEqual(issuerChunks.sort())
    } finally {
      atlas.emulator.setCustomerX509(atlas.emulator.groupId, null)
    }
  })
})

/** A chunk of the self-managed X.509 signing code or of its X.509 library. */
function isIssuerChunk(name: string): boolean {
  const code = readFileSync(join('dist/main', name), 'utf8')
  return code.includes('tsyringe') || code.includes('IssuerError')
}
