/**
 * Release pipelines, written once and run by both tiers (in-process and dist/): create-certificate
 * only when due (`renew-within-days`), the PEM sealed into a GitHub secret (`github-secret`), a
 * token GitHub refuses, and the release sequence in which renewal knows whether the secret holds
 * the certificate. Every step passes its tier's leak scan.
 */
import { expect } from '@jest/globals'
import { existsSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import type { GitHubEmulator } from '../../emulator/github.js'
import { filesIn, userExpiringIn } from '../support/emulator-fixtures.js'
import { githubEnvOf, type Observed, type StepResult, type StepRunner } from '../support/harness.js'

// Opens the sealed secret with libsodium itself, independent of the tweetnacl code the action uses.
const sodium = createRequire(import.meta.url)(
  'libsodium-wrappers'
) as typeof import('libsodium-wrappers')

const DAY = 86_400_000

/** Summary text as a browser shows it: numeric HTML entities decoded. */
const shownText = (html: string) =>
  html.replace(/&#(\d+);/g, (_, code: string) => String.fromCharCode(Number(code)))

/** The certificates Atlas minted for `username` (seeded records have no serial number). */
export const mintedFor = (atlas: StepRunner, username: string) =>
  atlas.emulator.issuedCertificates(atlas.emulator.groupId, username).filter(c => c.serialNumber)

/**
 * A main step with a service account that issues for `username` (added when missing) into the
 * secret ATLAS_CERT (plus `extra` inputs), the PEM it wrote, then its post step.
 */
export async function issueWithSecret<Result extends StepResult & Observed>(
  atlas: StepRunner<Result>,
  github: GitHubEmulator,
  extra: Record<string, string>,
  username = 'release-bot'
) {
  const { emulator } = atlas
  if (!emulator.users(emulator.groupId).some(user => user.username === username))
    emulator.addUser(emulator.groupId, { username })
  const runnerTemp = atlas.tempDir('runner-temp-')
  const options = {
    inputs: atlas.inputs('service-account', { username, 'github-secret': 'ATLAS_CERT', ...extra }),
    env: githubEnvOf(github),
    runnerTemp
  }
  const main = await atlas.step('main', options)
  const file = main.outputs['certificate-file']
  const pem = file && existsSync(file) ? readFileSync(file, 'utf8') : undefined
  const post = await atlas.step('post', { ...options, state: main.state })
  return { main, post, pem, runnerTemp }
}

/** The release-pipeline scenarios, as `describe`s of the calling test file. */
export function releasePipelineScenarios(atlas: StepRunner, github: GitHubEmulator): void {
  beforeAll(() => sodium.ready)

  const certsPath = (username: string) =>
    `/api/atlas/v2/groups/${atlas.emulator.groupId}/databaseUsers/${username}/certs`

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

  describe('create-certificate with renew-within-days', () => {
    it('not due (latest expires in 200 days, renew within 30): issues nothing, in 2 requests', async () => {
      const expiresAt = userExpiringIn(atlas.emulator, 'svc-later', 200)
      const runnerTemp = atlas.tempDir('runner-temp-')
      const main = await atlas.step('main', {
        inputs: atlas.inputs('api-key', { username: 'svc-later', 'renew-within-days': '30' }),
        runnerTemp
      })
      expect(main.exitCode).toBe(0)
      expect(main.errors).toEqual([])
      // The digest challenge, then the list: no POST.
      expect(main.requests.map(r => [r.method, r.path.split('?')[0], r.status])).toEqual([
        ['GET', certsPath('svc-later'), 401],
        ['GET', certsPath('svc-later'), 200]
      ])
      expect(mintedFor(atlas, 'svc-later')).toEqual([])
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
      userExpiringIn(atlas.emulator, 'svc-soon', 10)
      const { main, post, runnerTemp } = await atlas.job({
        inputs: atlas.inputs('api-key', { username: 'svc-soon', 'renew-within-days': '30' })
      })
      expect(main.exitCode).toBe(0)
      expect(main.outputs.issued).toBe('true')
      const answered = [...main.requests, ...post.requests].filter(r => r.status !== 401)
      expect(answered.map(r => [r.method, r.path.split('?')[0], r.status])).toEqual([
        ['GET', certsPath('svc-soon'), 200],
        ['POST', certsPath('svc-soon'), 201]
      ])
      const issued = mintedFor(atlas, 'svc-soon')
      expect(issued).toHaveLength(1)
      expect(main.outputs['expires-at']).toBe(issued[0]!.notAfter.toISOString())
      expect(main.summary).toMatch(/yes: renewal was due/)
      expect(post.exitCode).toBe(0)
      expect(filesIn(runnerTemp)).toEqual([])
    })
  })

  describe('create-certificate with github-secret', () => {
    // Its own user: the tiers' other tests count what release-bot was minted.
    const issue = (extra: Record<string, string>) =>
      issueWithSecret(atlas, github, extra, 'release-pipeline-bot')

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
        const { main, post, pem, runnerTemp } = await issue({
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
        expect(main.visible).not.toContain(github.tokens.write)
        // The sealed value is not shown either.
        expect(main.visible).not.toContain(
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
      const { main, post, pem, runnerTemp } = await issue({ 'github-token': token })
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
      expect(main.visible).not.toContain(token)
      expect(post.exitCode).toBe(0)
      expect(post.log).toContain(`Removed the certificate file ${main.outputs['certificate-file']}`)
      expect(filesIn(runnerTemp)).toEqual([])
    })
  })

  describe('the release sequence: renewal knows whether the secret holds the certificate', () => {
    const rotate = (token: string) =>
      atlas.step('main', {
        inputs: atlas.inputs('api-key', {
          username: 'svc-rotation',
          'renew-within-days': '30',
          'github-secret': 'ROTATED_CERT',
          'github-token': token
        }),
        env: githubEnvOf(github),
        runnerTemp: atlas.tempDir('runner-temp-')
      })

    it('refused token → 0 minted; good token → secret-missing; stale secret → secret-stale; up to date → not-due', async () => {
      // A valid certificate, created a day ago, that no secret holds.
      userExpiringIn(atlas.emulator, 'svc-rotation', 200)

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
      expect(mintedFor(atlas, 'svc-rotation')).toEqual([])
      expect(refused.requests.filter(r => r.method === 'POST')).toEqual([])
      expect(refused.visible).not.toContain(github.tokens.invalid)

      const stored = await rotate(github.tokens.write)
      expect(stored.exitCode).toBe(0)
      expect(stored.outputs['renewal-reason']).toBe('secret-missing')
      expect(stored.outputs.issued).toBe('true')
      expect(mintedFor(atlas, 'svc-rotation')).toHaveLength(1)
      expect(openSecret(undefined, 'ROTATED_CERT')).toMatch(/-----BEGIN PRIVATE KEY-----/)

      github.seedSecret(github.repository, 'ROTATED_CERT', new Date(Date.now() - 2 * DAY))
      const stale = await rotate(github.tokens.write)
      expect(stale.outputs['renewal-reason']).toBe('secret-stale')
      expect(stale.outputs.issued).toBe('true')
      expect(mintedFor(atlas, 'svc-rotation')).toHaveLength(2)
      expect(openSecret(undefined, 'ROTATED_CERT')).toContain(
        readFileSync(stale.outputs['certificate-file']!, 'utf8')
      )

      github.clearRequests()
      const upToDate = await rotate(github.tokens.write)
      expect(upToDate.exitCode).toBe(0)
      expect(upToDate.outputs['renewal-reason']).toBe('not-due')
      expect(upToDate.outputs.issued).toBe('false')
      expect(mintedFor(atlas, 'svc-rotation')).toHaveLength(2)
      expect(github.requests.map(r => [r.method, r.path, r.status])).toEqual([
        ['GET', '/repos/octo-org/release-app/actions/secrets/ROTATED_CERT', 200]
      ])
    })
  })
}
