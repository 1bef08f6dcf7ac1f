/** The run's temp folder check (jest's globalTeardown), on folders of its own. */
import { jest } from '@jest/globals'
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { RUN_ROOT_VARIABLE, teardown } from '../support/tmp-root.mjs'

const VARIABLES = [
  RUN_ROOT_VARIABLE,
  'ATLAS_X509_TESTS_OS_TMP',
  'ATLAS_X509_TESTS_BEFORE',
  'CI',
  'ATLAS_X509_TESTS_STRICT_TMP'
]
let saved: Record<string, string | undefined>
let osTmp: string
let root: string

beforeEach(() => {
  saved = Object.fromEntries(VARIABLES.map(name => [name, process.env[name]]))
  osTmp = mkdtempSync(join(tmpdir(), 'tmp-root-test-'))
  root = join(osTmp, 'atlas-x509-tests-run')
  mkdirSync(root)
  writeFileSync(join(root, 'emulator-rsa-keys.pem'), '') // the setup's own file
  mkdirSync(join(osTmp, 'step-before')) // there before the run: not this run's
  process.env[RUN_ROOT_VARIABLE] = root
  process.env.ATLAS_X509_TESTS_OS_TMP = osTmp
  process.env.ATLAS_X509_TESTS_BEFORE = JSON.stringify(['step-before'])
  delete process.env.CI
  delete process.env.ATLAS_X509_TESTS_STRICT_TMP
})

afterEach(() => {
  for (const [name, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[name]
    else process.env[name] = value
  }
  rmSync(osTmp, { recursive: true, force: true })
})

it('removes the run folder and says nothing when tests left nothing', () => {
  const warn = jest.spyOn(console, 'warn').mockImplementation(() => {})
  try {
    teardown()
    expect(readdirSync(osTmp)).toEqual(['step-before'])
    expect(warn).not.toHaveBeenCalled()
  } finally {
    warn.mockRestore()
  }
})

it('in CI, fails the run for anything left in the run folder or beside it, after removing the folder', () => {
  process.env.CI = 'true'
  writeFileSync(join(root, 'runner-temp-abc'), '')
  mkdirSync(join(osTmp, 'pki-xyz'))
  expect(() => teardown()).toThrow(
    /left entries in the run's temp folder \(removed\): runner-temp-abc\. .*appeared in .*: pki-xyz\. Make every temp folder/
  )
  expect(readdirSync(osTmp).sort()).toEqual(['pki-xyz', 'step-before'])
})

it('elsewhere, warns instead: another work tree may be running its tests', () => {
  const warn = jest.spyOn(console, 'warn').mockImplementation(() => {})
  try {
    writeFileSync(join(root, 'runner-temp-abc'), '')
    mkdirSync(join(osTmp, 'pki-xyz'))
    teardown()
    expect(warn.mock.calls.map(call => String(call[0]))).toEqual([
      expect.stringContaining('runner-temp-abc'),
      expect.stringContaining('pki-xyz')
    ])
  } finally {
    warn.mockRestore()
  }
})
