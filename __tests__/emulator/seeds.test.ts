/**
 * The Atlas docs' own curl commands (seeds/000 and seeds/004), verbatim apart from the host and
 * the {groupId} placeholder, checked with curl and openssl rather than with our own code.
 */
import { startEmulator, type Emulator } from '../../emulator/index.js'
import { ACCEPT_V2, curl, curlToken, digestUser, run, tempDir, type TempDir } from './helpers.js'

let emulator: Emulator
let dir: TempDir

beforeAll(async () => {
  emulator = await startEmulator()
  dir = tempDir()
})
afterAll(async () => {
  await emulator.close()
  dir.remove()
})

const atlasHost = 'https://cloud.mongodb.com'

/** seeds/004: both DELETE customerX509 commands. */
describe('seed 004: disable customer-managed X.509', () => {
  it('runs the Bearer command after a token from curl --user id:secret', async () => {
    const ACCESS_TOKEN = await curlToken(emulator)
    const url = `${atlasHost}/api/atlas/v2/groups/{groupId}/userSecurity/customerX509`
      .replace(atlasHost, emulator.url)
      .replace('{groupId}', emulator.otherGroupId)
    expect(emulator.customerX509(emulator.otherGroupId)).toContain('BEGIN CERTIFICATE')
    const before = emulator.restarts(emulator.otherGroupId)
    // curl --include --header "Authorization: Bearer ${ACCESS_TOKEN}" --header "Accept: …" -X DELETE "…"
    const response = await curl([
      '--include',
      '--header',
      `Authorization: Bearer ${ACCESS_TOKEN}`,
      '--header',
      ACCEPT_V2,
      '-X',
      'DELETE',
      url
    ])
    expect(response.status).toBe(202)
    expect(response.headers['content-type']).toBe('application/vnd.atlas.2023-01-01+json')
    expect(JSON.parse(response.body)).not.toHaveProperty('customerX509')
    expect(emulator.customerX509(emulator.otherGroupId)).toBeNull()
    expect(emulator.restarts(emulator.otherGroupId)).toBe(before + 1)
    const token = emulator.requests.find(r => r.path === '/api/oauth/token')
    expect(token).toMatchObject({ method: 'POST', status: 200, auth: 'basic' })
    expect(token?.headers['content-type']).toBe('application/x-www-form-urlencoded')
  })

  it('runs the --digest command', async () => {
    emulator.clearRequests()
    const url = `${atlasHost}/api/atlas/v2/groups/{groupId}/userSecurity/customerX509`
      .replace(atlasHost, emulator.url)
      .replace('{groupId}', emulator.groupId)
    // curl --user "${PUBLIC_KEY}:${PRIVATE_KEY}" --digest --include --header "Accept: …" -X DELETE "…"
    const response = await curl([
      '--user',
      digestUser(emulator),
      '--digest',
      '--include',
      '--header',
      ACCEPT_V2,
      '-X',
      'DELETE',
      url
    ])
    expect(response.statuses).toEqual([401, 202])
    expect(emulator.requests.map(r => [r.status, r.auth])).toEqual([
      [401, null],
      [202, 'digest']
    ])
    expect(emulator.requests[1]?.headers.authorization).toMatch(/^Digest username="emulatorpub"/)
  })
})

/** seeds/000: the v1.0 certs POST with a Bearer token, for ci-user. */
describe('seed 000: create an X.509 certificate for a user', () => {
  let pem: string
  let certFile: string
  let notAfterSeen: Date

  beforeAll(async () => {
    const ACCESS_TOKEN = await curlToken(emulator)
    const url =
      `${atlasHost}/api/atlas/v1.0/groups/32b6e34b3d91647abb20e7b8/databaseUsers/{username}/certs`
        .replace(atlasHost, emulator.url)
        .replace('{username}', 'ci-user')
    const response = await curl([
      '--request',
      'POST',
      url,
      '--header',
      `Authorization: Bearer ${ACCESS_TOKEN}`,
      '--header',
      'Content-Type: application/json',
      '--data',
      '{"monthsUntilExpiration":3}'
    ])
    // Every test of this block reads the certificate: without one, they all fail with this.
    if (response.status !== 201) {
      throw new Error(`the certs POST answered ${response.status}: ${response.body}`)
    }
    pem = response.body
    certFile = dir.write('ci-user.pem', pem)
    notAfterSeen = emulator.issuedCertificates(emulator.groupId, 'ci-user').at(-1)!.notAfter
  })

  it('answers the raw PEM: certificate then PKCS#8 key, each ending in a newline', () => {
    expect(pem).toMatch(
      /^-----BEGIN CERTIFICATE-----\n[\s\S]+\n-----END CERTIFICATE-----\n-----BEGIN PRIVATE KEY-----\n[\s\S]+\n-----END PRIVATE KEY-----\n$/
    )
  })

  it('issues CN=ci-user for 3 months (openssl x509)', async () => {
    const result = await run('openssl', [
      'x509',
      '-in',
      certFile,
      '-noout',
      '-subject',
      '-enddate',
      '-serial',
      '-ext',
      'extendedKeyUsage'
    ])
    expect(result.code).toBe(0)
    expect(result.stdout).toContain('subject=CN = ci-user')
    expect(result.stdout).toContain('TLS Web Client Authentication')
    const notAfter = new Date(/notAfter=(.+)/.exec(result.stdout)![1]!)
    const threeMonths = new Date()
    threeMonths.setUTCMonth(threeMonths.getUTCMonth() + 3)
    expect(Math.abs(notAfter.getTime() - threeMonths.getTime())).toBeLessThan(4 * 86_400_000)
    expect(notAfter.getTime()).toBe(notAfterSeen.getTime())
    const serial = /serial=([0-9A-F]+)/.exec(result.stdout)![1]!
    const record = emulator.issuedCertificates(emulator.groupId, 'ci-user').at(-1)!
    expect(serial.toLowerCase()).toBe(record.serialNumber)
  })

  it('lists the served key lines and tokens as secrets for leak scans', () => {
    const keyLines = pem
      .split('-----BEGIN PRIVATE KEY-----\n')[1]!
      .split('\n')
      .filter(line => line !== '' && !line.startsWith('-----'))
    const secrets = emulator.servedSecrets()
    expect(keyLines.length).toBeGreaterThan(10)
    for (const line of keyLines) expect(secrets).toContain(line)
    const token = emulator.requests.find(r => r.auth === 'bearer')!.headers.authorization!
    expect(secrets).toContain(token.replace('Bearer ', ''))
  })

  it('verifies against the managed CA (openssl verify)', async () => {
    const caFile = dir.write('managed-ca.pem', emulator.managedCaPem)
    const result = await run('openssl', [
      'verify',
      '-purpose',
      'sslclient',
      '-CAfile',
      caFile,
      certFile
    ])
    expect(result.stdout.trim()).toBe(`${certFile}: OK`)
  })

  it('holds a private key that matches the certificate (openssl pkey vs x509 -pubkey)', async () => {
    const fromKey = await run('openssl', ['pkey', '-in', certFile, '-pubout'])
    const fromCert = await run('openssl', ['x509', '-in', certFile, '-noout', '-pubkey'])
    expect(fromKey.code).toBe(0)
    expect(fromKey.stdout).toContain('BEGIN PUBLIC KEY')
    expect(fromKey.stdout).toBe(fromCert.stdout)
  })
})
