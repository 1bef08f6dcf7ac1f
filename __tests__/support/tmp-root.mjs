/**
 * One temp folder per test run. jest's globalSetup creates it and points TMPDIR (so os.tmpdir() in
 * every worker, and in the processes they spawn) at it; globalTeardown removes it and fails the run
 * when the OS temp folder gained entries named like the tests' own folders (in CI, or with
 * ATLAS_X509_TESTS_STRICT_TMP=1; elsewhere another work tree's tests may be making them).
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

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
  'inprocess-'
]

const ownedBy = name => TEST_PREFIXES.some(prefix => name.startsWith(prefix))

export function setup() {
  const osTmp = tmpdir()
  const root = mkdtempSync(join(osTmp, RUN_PREFIX))
  process.env[RUN_ROOT_VARIABLE] = root
  process.env.ATLAS_X509_TESTS_OS_TMP = osTmp
  process.env.ATLAS_X509_TESTS_BEFORE = JSON.stringify(readdirSync(osTmp).filter(ownedBy))
  process.env.TMPDIR = root
}

export function teardown() {
  const root = process.env[RUN_ROOT_VARIABLE]
  const osTmp = process.env.ATLAS_X509_TESTS_OS_TMP
  if (!root || !osTmp) return
  const leftInRoot = readdirSync(root)
  rmSync(root, { recursive: true, force: true })
  const before = new Set(JSON.parse(process.env.ATLAS_X509_TESTS_BEFORE ?? '[]'))
  const leaked = readdirSync(osTmp).filter(name => ownedBy(name) && !before.has(name))
  if (leftInRoot.length > 0)
    console.warn(`Removed what tests left in the run's temp folder: ${leftInRoot.join(', ')}`)
  if (leaked.length === 0) return
  // Other test runs on the same machine (other work trees) make folders of the same names, so
  // this fails in CI (one run per machine) or when asked, and otherwise warns.
  const strict = process.env.CI === 'true' || process.env.ATLAS_X509_TESTS_STRICT_TMP === '1'
  if (!strict) {
    console.warn(
      `New entries named like test folders appeared in ${osTmp} during the run (this run's, or another run's on this machine): ${leaked.join(', ')}`
    )
    return
  }
  throw new Error(
    `The test run left entries in ${osTmp} outside its own folder: ${leaked.join(', ')}. ` +
      'Make every temp folder under os.tmpdir() (TMPDIR points at the run folder) and remove it.'
  )
}
