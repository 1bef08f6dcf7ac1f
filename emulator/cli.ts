/**
 * `npm run emulator -- [--port N] [--tls] [--sha256]`: the Atlas emulator on 127.0.0.1 until
 * SIGINT/SIGTERM. Port from --port, else ATLAS_EMULATOR_PORT, else 8080 (0 = any free port).
 * A bad flag or port, or a port it cannot listen on, is one line on stderr and exit code 2.
 */
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { startEmulator } from './index.js'

const USAGE = 'usage: npm run emulator -- [--port N] [--tls] [--sha256]'

/** One readable line on stderr and exit code 2, never a stack trace. */
function fail(message: string): never {
  console.error(`atlas emulator: ${message}`)
  process.exit(2)
}

function usageError(message: string): never {
  return fail(`${message} (${USAGE})`)
}

const FLAGS = ['port', 'tls', 'sha256'] as const

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
        sha256: { type: 'boolean', default: false }
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

const emulator = await startEmulator({
  port,
  tls: values.tls,
  digestAlgorithm: values.sha256 ? 'SHA-256' : 'MD5'
}).catch((error: NodeJS.ErrnoException) => {
  const reason =
    error.code === 'EADDRINUSE'
      ? `port ${port} is already in use; choose another with --port (0 = any free port)`
      : error.code === 'EACCES'
        ? `port ${port} needs privileges; choose one above 1023`
        : error.message
  return fail(`cannot listen on 127.0.0.1:${port}: ${reason}`)
})

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
