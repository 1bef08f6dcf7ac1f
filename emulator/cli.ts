/**
 * `npm run emulator -- [--port N] [--tls] [--sha256] [--cluster NAME]... [--apply-delay-ms MS]
 * [--mongod] [--refuse-nonce-reuse] [--max-active-tokens N] [--refuse-certs-with-customer-ca]`:
 * the Atlas emulator on 127.0.0.1 until SIGINT/SIGTERM. Port from --port, else
 * ATLAS_EMULATOR_PORT, else 8080 (0 = any free port). --cluster adds a dedicated cluster to the
 * demo project; --mongod starts a MongoDB endpoint for every cluster of the demo project.
 * A bad flag or port, or a port it cannot listen on, is one line on stderr and exit code 2.
 */
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'

const USAGE =
  'usage: npm run emulator -- [--port N] [--tls] [--sha256] [--cluster NAME]... [--apply-delay-ms MS] [--mongod] [--refuse-nonce-reuse] [--max-active-tokens N] [--refuse-certs-with-customer-ca]'

/** One readable line on stderr and exit code 2, never a stack trace. */
function fail(message: string): never {
  console.error(`atlas emulator: ${message}`)
  process.exit(2)
}

function usageError(message: string): never {
  return fail(`${message} (${USAGE})`)
}

const FLAGS = [
  'port',
  'tls',
  'sha256',
  'cluster',
  'apply-delay-ms',
  'mongod',
  'refuse-nonce-reuse',
  'max-active-tokens',
  'refuse-certs-with-customer-ca'
] as const

function parseCommandLine() {
  // `npm run emulator --tls` (no `--`) makes npm keep the flag as its own config, npm_config_tls,
  // and pass the emulator only a flag's value, if any: refuse rather than start without it.
  const keptByNpm = FLAGS.filter(flag => process.env[`npm_config_${flag}`] !== undefined)
  if (keptByNpm.length > 0)
    usageError(
      `npm took ${keptByNpm.map(flag => `--${flag}`).join(', ')} for itself; put -- before the emulator's flags`
    )
  try {
    return parseArgs({
      options: {
        port: { type: 'string' },
        tls: { type: 'boolean', default: false },
        sha256: { type: 'boolean', default: false },
        cluster: { type: 'string', multiple: true, default: [] },
        'apply-delay-ms': { type: 'string' },
        mongod: { type: 'boolean', default: false },
        'refuse-nonce-reuse': { type: 'boolean', default: false },
        'max-active-tokens': { type: 'string' },
        'refuse-certs-with-customer-ca': { type: 'boolean', default: false }
      }
    }).values
  } catch (error) {
    // parseArgs messages can span lines and end in a full stop; keep the first line, bare.
    return usageError((error as Error).message.split('\n')[0]!.replace(/\.? *$/, ''))
  }
}

const values = parseCommandLine()
const [portSource, portText] =
  values.port !== undefined
    ? ['--port', values.port]
    : ['ATLAS_EMULATOR_PORT', process.env.ATLAS_EMULATOR_PORT ?? '8080']
const port = /^\d{1,5}$/.test(portText) ? Number(portText) : NaN
if (!(port >= 0 && port <= 65535))
  usageError(`invalid ${portSource} ${JSON.stringify(portText)}: a whole number from 0 to 65535`)

const applyDelayText = values['apply-delay-ms'] ?? '0'
const applyDelayMs = /^\d{1,9}$/.test(applyDelayText) ? Number(applyDelayText) : NaN
if (!Number.isInteger(applyDelayMs))
  usageError(`invalid --apply-delay-ms ${JSON.stringify(applyDelayText)}: a whole number of ms`)

const tokensText = values['max-active-tokens'] ?? '100'
const maxActiveTokens = /^\d{1,6}$/.test(tokensText) ? Number(tokensText) : NaN
if (!(maxActiveTokens >= 1))
  usageError(`invalid --max-active-tokens ${JSON.stringify(tokensText)}: a whole number ≥ 1`)

// Loaded once the command line is known good, so that a mistake is reported at once.
const { SEEDED_GROUP_ID, startEmulator } = await import('./index.js')
const emulator = await startEmulator({
  port,
  tls: values.tls,
  digestAlgorithm: values.sha256 ? 'SHA-256' : 'MD5',
  applyDelayMs,
  digestNonceReuse: values['refuse-nonce-reuse'] ? 'refuse' : 'allow',
  maxActiveTokens,
  refuseManagedCertsWithCustomerCa: values['refuse-certs-with-customer-ca']
}).catch((error: NodeJS.ErrnoException) => {
  const reason =
    error.code === 'EADDRINUSE'
      ? `port ${port} is already in use; choose another with --port (0 = any free port)`
      : error.code === 'EACCES'
        ? `port ${port} needs privileges; choose one above 1023`
        : error.message
  return fail(`cannot listen on 127.0.0.1:${port}: ${reason}`)
})
for (const name of values.cluster) {
  if (!emulator.clusters(SEEDED_GROUP_ID).some(c => c.name === name)) {
    emulator.addCluster(SEEDED_GROUP_ID, name)
  }
}

let caDir: string | undefined
const lines = [
  `Atlas emulator listening on ${emulator.url}`,
  `  group id:        ${emulator.groupId}`,
  `  other group id:  ${emulator.otherGroupId}`,
  `  public key:      ${emulator.credentials.publicKey}`,
  `  private key:     ${emulator.credentials.privateKey}`,
  `  client id:       ${emulator.credentials.clientId}`,
  `  client secret:   ${emulator.credentials.clientSecret}`,
  `  digest:          ${values.sha256 ? 'SHA-256' : 'MD5'}`
]
if (emulator.tlsCaPem) {
  caDir = mkdtempSync(join(tmpdir(), 'atlas-emulator-'))
  const caFile = join(caDir, 'tls-ca.pem')
  writeFileSync(caFile, emulator.tlsCaPem)
  lines.push(`  TLS CA file:     ${caFile}`)
}
const clusters = emulator.clusters(SEEDED_GROUP_ID)
lines.push(`  clusters:        ${clusters.map(c => c.name + (c.flex ? ' (Flex)' : '')).join(', ')}`)
lines.push(`  apply delay:     ${applyDelayMs} ms`)
if (values.mongod) {
  caDir ??= mkdtempSync(join(tmpdir(), 'atlas-emulator-'))
  const caFile = join(caDir, 'mongod-ca.pem')
  for (const cluster of clusters) {
    const endpoint = await emulator.startMongod(SEEDED_GROUP_ID, cluster.name)
    writeFileSync(caFile, endpoint.caPem) // one CA for every endpoint
    lines.push(`  mongod ${cluster.name}: ${endpoint.uri} (tlsCAFile ${caFile})`)
  }
}
lines.push('Control: GET/DELETE /__emulator/requests, POST/DELETE /__emulator/faults')
console.log(lines.join('\n'))

async function stop(signal: string): Promise<void> {
  console.log(`${signal}: stopping the Atlas emulator`)
  await emulator.close()
  if (caDir) rmSync(caDir, { recursive: true, force: true })
  process.exit(0)
}
process.once('SIGINT', () => void stop('SIGINT'))
process.once('SIGTERM', () => void stop('SIGTERM'))
