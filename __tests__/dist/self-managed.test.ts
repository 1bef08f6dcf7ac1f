/**
 * Self-managed X.509 through dist/, as a user would run it: set-customer-x509 with a test root,
 * create-ephemeral-user signed on the runner by an intermediate of that root, then the official
 * MongoDB driver logs in with the written file and pings. A certificate from another CA, and this
 * one after the post step, are refused. The checks in detail run in-process
 * (__tests__/operations/self-managed.test.ts).
 */
import { execFileSync } from 'node:child_process'
import { copyFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { MongoServerError, MongoServerSelectionError } from 'mongodb'
import { SEEDED_CLUSTER } from '../../emulator/index.js'
import { ping, pingError } from '../support/driver.js'
import { findLeaks, tempDir } from '../../scripts/lib/step.js'
import { atlasRequests, filesIn, startAtlas, type Atlas } from '../support/atlas.js'
import { intermediateCaWithKey, rootCa, selfSigned } from '../support/pki.js'

let atlas: Atlas
let uri = ''
let folder = ''
const root = rootCa('Dist Root CA', 365)
const issuing = intermediateCaWithKey('Dist CI Issuing CA', root, 30)
const foreign = selfSigned('Dist Foreign CA')

const keyLines = (pem: string) =>
  (pem.split(/-----BEGIN [A-Z ]*PRIVATE KEY-----/)[1] ?? '')
    .split('\n')
    .map(line => line.trim())
    .filter(line => line && !line.startsWith('-----'))

beforeAll(async () => {
  atlas = await startAtlas({ refuseManagedCertsWithCustomerCa: true })
  // The leak scan of every step looks for the issuer key too.
  for (const secret of [issuing.keyPem.trim(), ...keyLines(issuing.keyPem)])
    atlas.emulator.recordSecret(secret)
  folder = tempDir('self-managed-')
  const endpoint = await atlas.emulator.startMongod(atlas.emulator.groupId, SEEDED_CLUSTER)
  const caFile = join(folder, 'mongod-ca.pem')
  writeFileSync(caFile, endpoint.caPem)
  uri = `${endpoint.uri}&tlsCAFile=${encodeURIComponent(caFile)}`
})
afterAll(async () => {
  await atlas.close()
  rmSync(folder, { recursive: true, force: true })
})

const withFile = (connectionString: string, file: string) =>
  connectionString.replace(
    /tlsCertificateKeyFile=[^&]*/,
    `tlsCertificateKeyFile=${encodeURIComponent(file)}`
  )
const openssl = (...args: string[]) =>
  execFileSync('openssl', args, {
    cwd: folder,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe']
  })

it('set-customer-x509, create-ephemeral-user signed by an intermediate, the driver logs in; another CA and the deleted user are refused', async () => {
  const { emulator } = atlas
  const set = await atlas.step('main', {
    inputs: atlas.inputs('service-account', {
      operation: 'set-customer-x509',
      'ca-certificates': root.pem
    })
  })
  expect(set.exitCode).toBe(0)

  const inputs = atlas.inputs('service-account', {
    operation: 'create-ephemeral-user',
    roles: 'readWrite@app',
    scopes: SEEDED_CLUSTER,
    'subject-suffix': 'OU=ci,O=Acme',
    'issuer-certificate': issuing.pem,
    'issuer-key': issuing.keyPem,
    'connection-string': uri
  })
  const runnerTemp = tempDir('runner-temp-')
  emulator.clearRequests()
  const main = await atlas.step('main', { inputs, runnerTemp })
  expect(main.errors).toEqual([])
  expect(main.exitCode).toBe(0)
  const username = main.outputs.username!
  expect(username).toMatch(/^CN=gha-[^,]+-[a-z0-9]{10},OU=ci,O=Acme$/)
  expect(main.outputs['x509-type']).toBe('CUSTOMER')
  expect(emulator.getUser(emulator.groupId, '$external', username)?.x509Type).toBe('CUSTOMER')

  const file = main.outputs['certificate-file']!
  const pem = readFileSync(file, 'utf8')
  expect(openssl('verify', '-CAfile', root.file, '-untrusted', file, file)).toBe(`${file}: OK\n`)
  expect(openssl('x509', '-in', file, '-noout', '-subject', '-nameopt', 'RFC2253')).toBe(
    `subject=${username}\n`
  )
  // Neither private key reached a log line, an output, the state, the summary or a request.
  const secrets = [...keyLines(pem), ...keyLines(issuing.keyPem)]
  expect(findLeaks(main, secrets)).toEqual([])
  const sent = atlasRequests(emulator)
    .map(r => r.body ?? '')
    .join('\n')
  for (const line of secrets) expect(sent).not.toContain(line)

  const connectionString = main.outputs['connection-string']!
  expect(await ping(connectionString)).toEqual({ ok: 1 })

  // The same subject, signed by a CA the project does not trust: the handshake fails.
  const foreignFile = join(folder, 'foreign.pem')
  const subject = '/' + username.split(',').reverse().join('/')
  openssl(
    'req',
    '-new',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-keyout',
    'foreign.key',
    '-out',
    'foreign.csr',
    '-subj',
    subject
  )
  openssl(
    'x509',
    '-req',
    '-in',
    'foreign.csr',
    '-CA',
    foreign.file,
    '-CAkey',
    foreign.key,
    '-CAcreateserial',
    '-out',
    'foreign.crt',
    '-days',
    '1'
  )
  writeFileSync(
    foreignFile,
    readFileSync(join(folder, 'foreign.crt'), 'utf8') +
      readFileSync(join(folder, 'foreign.key'), 'utf8')
  )
  const foreignError = await pingError(withFile(connectionString, foreignFile))
  expect(foreignError).toBeInstanceOf(MongoServerSelectionError)

  // A copy of the file outlives the post step, as a leaked one would: the user is gone.
  const copy = join(folder, 'copy.pem')
  copyFileSync(file, copy)
  const post = await atlas.step('post', { inputs, state: main.state, runnerTemp })
  expect(post.exitCode).toBe(0)
  expect(emulator.getUser(emulator.groupId, '$external', username)).toBeUndefined()
  expect(filesIn(runnerTemp)).toEqual([])
  const refused = await pingError(withFile(connectionString, copy))
  expect(refused).toBeInstanceOf(MongoServerError)
  expect(refused).toEqual(expect.objectContaining({ code: 18, codeName: 'AuthenticationFailed' }))
  rmSync(runnerTemp, { recursive: true, force: true })
})
