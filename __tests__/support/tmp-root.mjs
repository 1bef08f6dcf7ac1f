/**
 * One temp folder per test run. jest's globalSetup creates it and points TMPDIR (so os.tmpdir() in
 * every worker, and in the processes they spawn) at it; globalTeardown removes it and fails the run
 * when tests left anything in it, or when the OS temp folder gained entries named like the tests'
 * own folders (in CI, or with ATLAS_X509_TESTS_STRICT_TMP=1; elsewhere it warns).
 * The setup also makes the run's RSA keys for the emulators (ATLAS_EMULATOR_RSA_KEYS) in that folder.
 */
import { generateKeyPair } from 'node:crypto'
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'

export const RUN_PREFIX = 'atlas-x509-tests-'
export const RUN_ROOT_VARIABLE = 'ATLAS_X509_TESTS_TMP'
/** Prefixes of the folders that tests, the step runner and the emulator make in the temp folder. */
export const TEST_PREFIXES = [
  RUN_PREFIX,
  'step-',
  'runner-temp-',
  'given-',
  'exists-',
  'gone-',
  'tls-ca-',
  'pki-',
  'pem-',
  'cert-test-',
  'atlas-emulator-',
  'inprocess-',
  'cli-test-',
  'tmp-root-test-'
]

const ownedBy = name => TEST_PREFIXES.some(prefix => name.startsWith(prefix))

/** The run's RSA keys for the emulators (see emulator/ca.ts): part of the run folder, not left by a test. */
const RSA_KEYS_FILE = 'emulator-rsa-keys.pem'
/** Enough for the test file that starts the most emulators and issues the most certificates. */
const RSA_KEY_COUNT = 16

export async function setup() {
  const osTmp = tmpdir()
  const root = mkdtempSync(join(osTmp, RUN_PREFIX))
  process.env[RUN_ROOT_VARIABLE] = root
  process.env.ATLAS_X509_TESTS_OS_TMP = osTmp
  process.env.ATLAS_X509_TESTS_BEFORE = JSON.stringify(readdirSync(osTmp).filter(ownedBy))
  process.env.TMPDIR = root
  await writeRsaKeySupply(join(root, RSA_KEYS_FILE))
}

// Made once per run, in parallel on the thread pool, instead of a few in every test file.
async function writeRsaKeySupply(path) {
  const generate = promisify(generateKeyPair)
  const options = {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' }
  }
  const pairs = await Promise.all(
    Array.from({ length: RSA_KEY_COUNT }, () => generate('rsa', options))
  )
  writeFileSync(path, pairs.map(pair => pair.privateKey).join(''), { mode: 0o600, flag: 'wx' })
  process.env.ATLAS_EMULATOR_RSA_KEYS = path
}

export function teardown() {
  const root = process.env[RUN_ROOT_VARIABLE]
  const osTmp = process.env.ATLAS_X509_TESTS_OS_TMP
  if (!root || !osTmp) return
  const leftInRoot = readdirSync(root).filter(name => name !== RSA_KEYS_FILE)
  rmSync(root, { recursive: true, force: true })
  const before = new Set(JSON.parse(process.env.ATLAS_X509_TESTS_BEFORE ?? '[]'))
  const leaked = readdirSync(osTmp).filter(name => ownedBy(name) && !before.has(name))
  // Other test runs on the same machine (other work trees) make folders of the same names in the
  // OS temp folder, so this fails in CI (one run per machine) or when asked, and otherwise warns.
  const strict = process.env.CI === 'true' || process.env.ATLAS_X509_TESTS_STRICT_TMP === '1'
  const problems = []
  if (leftInRoot.length > 0)
    problems.push(`Tests left entries in the run's temp folder (removed): ${leftInRoot.join(', ')}`)
  if (leaked.length > 0)
    problems.push(
      `New entries named like test folders appeared in ${osTmp} during the run (this run's, or another run's on this machine): ${leaked.join(', ')}`
    )
  if (problems.length === 0) return
  if (!strict) {
    for (const problem of problems) console.warn(problem)
    return
  }
  throw new Error(
    `${problems.join('. ')}. Make every temp folder under os.tmpdir() (TMPDIR points at the run folder) and remove it when done.`
  )
}
