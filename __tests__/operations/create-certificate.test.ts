import { expect } from '@jest/globals'
import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import {
  atlasRequests,
  CREDENTIAL_KINDS,
  filesIn,
  atlasForFile,
  startAtlas,
  unmaskedBeforeUse
} from '../support/inprocess.js'

const atlas = atlasForFile()
const tempDir = (prefix: string) => atlas.tempDir(prefix)

const MEDIA_TYPE = 'application/vnd.atlas.2023-01-01+json'

describe.each(CREDENTIAL_KINDS)('create-certificate with %s credentials', kind => {
  it('issues a certificate in 2 requests, writes it 0600, sets the outputs, and the post step removes it', async () => {
    const before = Date.now()
    const { main, post, runnerTemp } = await atlas.job({
      inputs: atlas.inputs(kind, {
        username: 'ci-user',
        'connection-string': 'mongodb+srv://cluster0.example.mongodb.net/app'
      })
    })
    expect(main.exitCode).toBe(0)
    expect(main.errors).toEqual([])

    const all = atlasRequests(atlas.emulator)
    // The main step's 2 requests; a service account's post step then revokes the job's one token.
    const requests = all.slice(0, 2)
    expect(all.slice(2).map(r => `${r.method} ${r.path} ${r.status}`)).toEqual(
      kind === 'api-key' ? [] : ['POST /api/oauth/revoke 200']
    )
    const revoked = all.slice(2).map(revoke => new URLSearchParams(revoke.body).get('token'))
    expect(atlas.emulator.servedSecrets()).toEqual(expect.arrayContaining(revoked))
    const post201 = requests[1]!
    expect(post201).toMatchObject({
      method: 'POST',
      path: `/api/atlas/v2/groups/${atlas.emulator.groupId}/databaseUsers/ci-user/certs`,
      status: 201,
      auth: kind === 'api-key' ? 'digest' : 'bearer'
    })
    expect(post201.headers.accept).toBe(MEDIA_TYPE)
    expect(post201.headers['content-type']).toBe(MEDIA_TYPE)
    expect(JSON.parse(post201.body)).toEqual({ monthsUntilExpiration: 3 })
    expect(requests[0]).toMatchObject(
      kind === 'api-key'
        ? { status: 401, auth: null }
        : { method: 'POST', path: '/api/oauth/token', status: 200 }
    )

    // The file: where the output says, under RUNNER_TEMP, 0600, certificate then key, verified by openssl.
    const file = main.outputs['certificate-file']!
    expect(file.startsWith(runnerTemp)).toBe(true)
    expect(JSON.parse(main.state['certificate-file']!)).toMatchObject({ path: file })
    // The post step has run: the file is gone (its content is checked with openssl in the next test).
    expect(existsSync(file)).toBe(false)
    expect(filesIn(runnerTemp)).toEqual([])
    expect(post.exitCode).toBe(0)
    expect(post.info).toContain(`Removed the certificate file ${file}.`)
    // The file was complete when the main step ended: the post step removed a file that existed.
    expect(post.log).not.toContain('already gone')

    const issued = atlas.emulator.issuedCertificates(atlas.emulator.groupId, 'ci-user').at(-1)!
    expect(main.outputs).toMatchObject({
      username: 'ci-user',
      subject: 'CN=ci-user',
      'serial-number': issued.serialNumber.toUpperCase(),
      'expires-at': issued.notAfter.toISOString()
    })
    expect(main.outputs['fingerprint-sha256']).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/)
    expect(main.outputs.certificate).toBeUndefined()
    expect(main.outputs['connection-string']).toBe(
      `mongodb+srv://cluster0.example.mongodb.net/app?authMechanism=MONGODB-X509&tls=true&tlsCertificateKeyFile=${encodeURIComponent(file)}`
    )
    const months3 = new Date(before)
    months3.setUTCMonth(months3.getUTCMonth() + 3)
    expect(Math.abs(Date.parse(main.outputs['expires-at']!) - months3.getTime())).toBeLessThan(
      60_000
    )

    expect(main.summary).toContain('create-certificate')
    expect(main.summary).toContain('CN=ci-user')
    expect(main.summary).toContain(atlas.emulator.groupId)
  })
})

describe('create-certificate file handling', () => {
  it('writes to a given path, keeps it with cleanup false, and the file passes openssl', async () => {
    const folder = tempDir('given-')
    const target = join(folder, 'ci-user.pem')
    const { main, post } = await atlas.job({
      inputs: atlas.inputs('service-account', {
        username: 'release-bot',
        'certificate-file': target,
        cleanup: 'false',
        months: '24'
      })
    })
    expect(main.exitCode).toBe(0)
    expect(main.outputs['certificate-file']).toBe(target)
    expect(main.state['certificate-file']).toBe('')
    expect(post.exitCode).toBe(0)
    expect(statSync(target).mode & 0o777).toBe(0o600)

    const pem = readFileSync(target, 'utf8')
    expect(pem).toMatch(
      /^-----BEGIN CERTIFICATE-----\n[\s\S]+-----END CERTIFICATE-----\n-----BEGIN PRIVATE KEY-----\n[\s\S]+-----END PRIVATE KEY-----\n$/
    )
    const caFile = join(folder, 'ca.pem')
    writeFileSync(caFile, atlas.emulator.managedCaPem)
    expect(execFileSync('openssl', ['verify', '-CAfile', caFile, target]).toString()).toContain(
      ': OK'
    )
    const subject = execFileSync('openssl', [
      'x509',
      '-noout',
      '-subject',
      '-in',
      target
    ]).toString()
    expect(subject.trim()).toBe('subject=CN = release-bot')
    const certKey = execFileSync('openssl', ['x509', '-noout', '-pubkey', '-in', target]).toString()
    const keyKey = execFileSync('openssl', ['pkey', '-pubout', '-in', target]).toString()
    expect(keyKey).toBe(certKey)
    const months24 = new Date()
    months24.setUTCMonth(months24.getUTCMonth() + 24)
    expect(Math.abs(Date.parse(main.outputs['expires-at']!) - months24.getTime())).toBeLessThan(
      60_000
    )
    expect(JSON.parse(atlasRequests(atlas.emulator)[1]!.body)).toEqual({
      monthsUntilExpiration: 24
    })
  })

  it('refuses a certificate-file that exists, before any request', async () => {
    const folder = tempDir('exists-')
    const target = join(folder, 'taken.pem')
    writeFileSync(target, 'keep me')
    const main = await atlas.step('main', {
      inputs: atlas.inputs('service-account', { username: 'ci-user', 'certificate-file': target })
    })
    expect(main.exitCode).toBe(1)
    expect(main.errors).toEqual([
      {
        level: 'error',
        title: 'Invalid input: certificate-file',
        message: expect.stringMatching(/already exists/)
      }
    ])
    expect(readFileSync(target, 'utf8')).toBe('keep me')
    expect(atlasRequests(atlas.emulator)).toHaveLength(0)
  })

  it('sets the certificate output only when asked, masked before it is set', async () => {
    const { main } = await atlas.job(
      { inputs: atlas.inputs('api-key', { username: 'ci-user', 'output-certificate': 'true' }) },
      { certificateOutputAllowed: true }
    )
    expect(main.exitCode).toBe(0)
    const pem = main.outputs.certificate!
    expect(pem).toMatch(/-----BEGIN PRIVATE KEY-----/)
    const keyLines = pem
      .split('-----BEGIN PRIVATE KEY-----')[1]!
      .split('\n')
      .filter(l => l && !l.startsWith('-----'))
    for (const line of keyLines) expect(main.masks).toContain(line)
    // Every key line and the whole PEM are registered before anything shows them (the output included).
    expect(unmaskedBeforeUse(main, [pem.trim(), ...keyLines])).toEqual([])
    expect(main.masks).toContain(pem.trim())
  })

  it('masks every served key line before anything else, also without output-certificate', async () => {
    // A fresh key for this certificate, so that what the step was served is told apart.
    const fresh = await startAtlas({ clientKeyPool: 0 })
    try {
      const { main } = await fresh.job({
        inputs: fresh.inputs('service-account', { username: 'ci-user' })
      })
      expect(main.exitCode).toBe(0)
      expect(main.masks[0]).toBe(fresh.emulator.credentials.clientSecret)
      // This step's token and every line of this step's key.
      const served = fresh.emulator.servedSecrets()
      expect(served.length).toBeGreaterThan(20)
      for (const secret of served) expect(main.masks).toContain(secret)
      expect(unmaskedBeforeUse(main, served)).toEqual([])
    } finally {
      await fresh.close()
    }
  })
})

describe('create-certificate failures', () => {
  it.each([
    [
      'an unknown user',
      { username: 'ghost' },
      'Atlas USERNAME_NOT_FOUND (HTTP 404)',
      /x509Type `MANAGED`/
    ],
    [
      'a user that is not Atlas-managed X.509',
      { username: 'ldap-user' },
      'Atlas USER_NOT_MANAGED_X509 (HTTP 400)',
      /x509Type `MANAGED`/
    ],
    [
      'an unknown project',
      { username: 'ci-user', 'group-id': 'aaaaaaaaaaaaaaaaaaaaaaaa' },
      'Atlas GROUP_NOT_FOUND (HTTP 404)',
      /group-id/
    ]
  ])('%s: one annotation with the code, status, detail and hint', async (_, extra, title, hint) => {
    for (const kind of CREDENTIAL_KINDS) {
      const { main, post, runnerTemp } = await atlas.job({ inputs: atlas.inputs(kind, extra) })
      expect(main.exitCode).toBe(1)
      expect(main.errors).toHaveLength(1)
      expect(main.errors[0]!.title).toBe(title)
      expect(main.errors[0]!.message).toMatch(hint)
      expect(post.exitCode).toBe(0)
      expect(filesIn(runnerTemp)).toEqual([])
    }
  })

  it('wrong API key: Atlas 401 with the credentials hint', async () => {
    const main = await atlas.step('main', {
      inputs: atlas.inputs('api-key', { username: 'ci-user', 'private-key': 'wrong-private-key' })
    })
    expect(main.exitCode).toBe(1)
    expect(main.errors).toHaveLength(1)
    expect(main.errors[0]!.title).toMatch(/^Atlas \w+ \(HTTP 401\)$/)
    expect(main.errors[0]!.message).toMatch(/public-key/)
    expect(atlasRequests(atlas.emulator)).toHaveLength(2)
  })

  it('wrong client secret: the token endpoint error with the credentials hint', async () => {
    const main = await atlas.main('service-account', {
      username: 'ci-user',
      'client-secret': 'mdb_sa_sk_wrong'
    })
    expect(main.errors).toEqual([
      {
        level: 'error',
        title: 'Atlas invalid_client (HTTP 401)',
        message: expect.stringMatching(/client-secret/)
      }
    ])
    expect(atlasRequests(atlas.emulator)).toHaveLength(1)
  })

  it.each([
    ['ATLAS_GENERATED_CERTS_LIMIT_EXCEEDED', 400, /limit of Atlas-generated certificates/],
    ['CERT_EXPIRY_CANNOT_EXCEED_TWO_YEARS', 400, /1 to 24/],
    ['VERSION_GONE', 410, /update the action/],
    ['NOT_IN_GROUP', 401, /no access to this project/],
    ['ORG_REQUIRES_ACCESS_LIST', 403, /API access list/]
  ])('Atlas %s (HTTP %i) gets its hint', async (errorCode, status, hint) => {
    atlas.emulator.fault({
      path: /\/certs$/,
      kind: 'status',
      status,
      errorCode,
      detail: `Atlas says ${errorCode}.`
    })
    const main = await atlas.step('main', {
      inputs: atlas.inputs('service-account', { username: 'ci-user' })
    })
    expect(main.exitCode).toBe(1)
    expect(main.errors).toEqual([
      {
        level: 'error',
        title: `Atlas ${errorCode} (HTTP ${status})`,
        message: expect.stringMatching(hint)
      }
    ])
    expect(main.errors[0]!.message.startsWith(`Atlas says ${errorCode}.`)).toBe(true)
  })

  it('rate limited until the retries run out: RATE_LIMITED with its hint, after max-retries + 1 tries', async () => {
    atlas.emulator.fault({
      path: /\/certs$/,
      kind: 'status',
      status: 429,
      errorCode: 'RATE_LIMITED',
      retryAfter: '0',
      times: Infinity
    })
    const main = await atlas.main('service-account', { username: 'ci-user', 'max-retries': '2' })
    expect(main.errors).toEqual([
      {
        level: 'error',
        title: 'Atlas RATE_LIMITED (HTTP 429)',
        message: expect.stringMatching(/max-retries/)
      }
    ])
    expect(atlasRequests(atlas.emulator).filter(r => r.path.endsWith('/certs'))).toHaveLength(3)
  })

  it('persistent 500: fails after exactly max-retries + 1 attempts', async () => {
    atlas.emulator.fault({
      path: /\/certs$/,
      kind: 'status',
      status: 500,
      errorCode: 'UNEXPECTED_ERROR',
      times: Infinity
    })
    const main = await atlas.main('api-key', { username: 'ci-user', 'max-retries': '1' })
    expect(main.errors).toEqual([
      {
        level: 'error',
        title: 'Atlas UNEXPECTED_ERROR (HTTP 500)',
        message: expect.stringMatching(/later/)
      }
    ])
    expect(atlasRequests(atlas.emulator).filter(r => r.status === 500)).toHaveLength(2)
  })

  it('an HTML page from a proxy: Atlas API unreachable, the page not echoed', async () => {
    atlas.emulator.fault({ path: /\/certs$/, kind: 'html', status: 502, times: Infinity })
    const main = await atlas.step('main', {
      inputs: atlas.inputs('api-key', { username: 'ci-user', 'max-retries': '0' })
    })
    expect(main.errors).toEqual([
      {
        level: 'error',
        title: 'Atlas API unreachable',
        message: expect.stringMatching(/HTTP 502 with a text\/html body/)
      }
    ])
    expect(main.log).not.toMatch(/<html/i)
  })

  it('a dropped connection: Atlas API unreachable, saying after how many tries', async () => {
    atlas.emulator.fault({ path: /\/certs$/, kind: 'drop', times: Infinity })
    const main = await atlas.step('main', {
      inputs: atlas.inputs('service-account', { username: 'ci-user', 'max-retries': '0' })
    })
    expect(main.errors).toEqual([
      {
        level: 'error',
        title: 'Atlas API unreachable',
        message: expect.stringMatching(/after 1 attempt/)
      }
    ])
  })

  it.each(['garbage', 'truncated', 'no-key', 'mismatched-key', 'two-certs'] as const)(
    'a corrupt certificate body (%s) is refused, printed nowhere, and no file is left',
    async variant => {
      atlas.emulator.fault({ path: /\/certs$/, kind: 'corrupt-pem', variant })
      const { main, post, runnerTemp } = await atlas.job({
        inputs: atlas.inputs('api-key', { username: 'ci-user' })
      })
      expect(main.exitCode).toBe(1)
      expect(main.errors).toEqual([
        {
          level: 'error',
          title: 'Unusable certificate response',
          message: expect.stringMatching(/Nothing was written/)
        }
      ])
      expect(main.outputs['certificate-file']).toBeUndefined()
      const printed = main.log.split('\n').filter(line => !line.startsWith('::add-mask::'))
      expect(printed.join('\n')).not.toMatch(/BEGIN (CERTIFICATE|PRIVATE KEY)/)
      expect(post.exitCode).toBe(0)
      expect(filesIn(runnerTemp)).toEqual([])
    }
  )

  it('a JSON-quoted PEM body is accepted', async () => {
    atlas.emulator.fault({ path: /\/certs$/, kind: 'corrupt-pem', variant: 'json-quoted' })
    const { main } = await atlas.job({ inputs: atlas.inputs('api-key', { username: 'ci-user' }) })
    expect(main.exitCode).toBe(0)
    expect(main.outputs.subject).toBe('CN=ci-user')
  })
})

describe('post step', () => {
  it('does nothing without state, and says so when the file is already gone', async () => {
    const none = await atlas.step('post', { inputs: atlas.inputs('api-key') })
    expect(none.exitCode).toBe(0)
    expect(none.annotations).toEqual([])
    const gone = await atlas.step('post', {
      inputs: atlas.inputs('api-key'),
      state: {
        'certificate-file': JSON.stringify({
          path: join(tempDir('gone-'), 'x.pem'),
          dev: '1',
          ino: '1'
        })
      }
    })
    expect(gone.exitCode).toBe(0)
    expect(gone.log).toContain('already gone')
    expect(atlasRequests(atlas.emulator)).toHaveLength(0)
  })
})
