import { readFileSync } from 'node:fs'
import { parse } from 'yaml'
import { DEFAULTS } from '../../src/inputs/inputs.js'
import { OPERATION_NAMES } from '../../src/operations/registry.js'

/** action.yml is what the runner reads: it must parse, and say what README.md and the code say. */
const action = parse(readFileSync('action.yml', 'utf8')) as {
  name: string
  description: string
  author: string
  branding: { icon: string; color: string }
  inputs: Record<string, { description: string; default?: string; required?: boolean }>
  outputs: Record<string, { description: string }>
  runs: { using: string; main: string; post: string }
}

// The public names (README.md, "Inputs" and "Outputs"): fixed for v1.
const CONTRACT_INPUTS = [
  'operation',
  'group-id',
  'org-id',
  'client-id',
  'client-secret',
  'public-key',
  'private-key',
  'base-url',
  'timeout-seconds',
  'max-retries',
  'username',
  'months',
  'certificate-file',
  'output-certificate',
  'cleanup',
  'connection-string',
  'roles',
  'scopes',
  'ephemeral-ttl-hours',
  'wait-until-ready',
  'ready-timeout-seconds',
  'dry-run',
  'prune-limit',
  'expiry-warning-days',
  'ca-certificates',
  'ca-file',
  'renew-within-days',
  'github-secret',
  'github-secret-environment',
  'github-token',
  'issuer-certificate',
  'issuer-key',
  'key-type',
  'subject-suffix',
  'access-list',
  'runner-ip-url',
  'verify-login'
]
const CONTRACT_OUTPUTS = [
  'skipped-projects',
  'certificate-file',
  'certificate',
  'username',
  'subject',
  'serial-number',
  'fingerprint-sha256',
  'expires-at',
  'connection-string',
  'ready-seconds',
  'customer-x509-enabled',
  'deleted',
  'pruned',
  'count',
  'certificates',
  'users-without-certificate',
  'next-expiry',
  'latest-expiry',
  'ca-certificates',
  'ca-count',
  'ca-expires-at',
  'issued',
  'x509-type',
  'renewal-reason',
  'access-list-entries',
  'connection-strings'
]

describe('action.yml', () => {
  it('runs the bundled entries on node24', () => {
    expect(action.runs).toEqual({
      using: 'node24',
      main: 'dist/main/index.js',
      post: 'dist/post/index.js'
    })
  })
  it('declares exactly the documented inputs and outputs, each described', () => {
    expect(Object.keys(action.inputs).sort()).toEqual([...CONTRACT_INPUTS].sort())
    expect(Object.keys(action.outputs).sort()).toEqual([...CONTRACT_OUTPUTS].sort())
    for (const spec of [...Object.values(action.inputs), ...Object.values(action.outputs)]) {
      expect(typeof spec.description).toBe('string')
    }
  })
  it('names every operation the code accepts', () => {
    for (const operation of OPERATION_NAMES)
      expect(action.inputs.operation!.description).toContain(operation)
    expect(action.inputs.operation!.default).toBe('create-certificate')
  })
  it('states the same defaults as the code', () => {
    const declared = Object.fromEntries(
      Object.entries(action.inputs)
        .filter(([, spec]) => spec.default !== undefined)
        .map(([name, spec]) => [name, spec.default])
    )
    // base-url falls back to an environment variable first, so action.yml cannot default it.
    const { 'base-url': baseUrl, ...inputDefaults } = DEFAULTS
    expect(declared).toEqual(
      Object.fromEntries(
        Object.entries(inputDefaults).map(([name, value]) => [name, String(value)])
      )
    )
    expect(action.inputs['base-url']!.description).toContain(baseUrl)
  })
  it('leaves operation-dependent defaults to the code (the runner would always pass a default)', () => {
    expect(action.inputs.months!.default).toBeUndefined()
    expect(action.inputs.username!.default).toBeUndefined()
    for (const name of [
      'renew-within-days',
      'github-secret',
      'github-secret-environment',
      'github-token'
    ])
      expect(action.inputs[name]!.default).toBeUndefined()
  })
  it('marks nothing required: credentials and the project may come from the environment', () => {
    for (const spec of Object.values(action.inputs)) expect(spec.required ?? false).toBe(false)
  })
  it('carries the metadata the Marketplace lists', () => {
    expect(action.name.trim()).not.toBe('')
    expect(action.author.trim()).not.toBe('')
    expect(action.description.length).toBeGreaterThan(0)
    expect(action.description.length).toBeLessThanOrEqual(125)
    // The Marketplace's branding colours; the icon is a Feather icon name.
    expect([
      'white',
      'black',
      'yellow',
      'blue',
      'green',
      'orange',
      'red',
      'purple',
      'gray-dark'
    ]).toContain(action.branding.color)
    expect(action.branding.icon).toMatch(/^[a-z][a-z0-9-]*$/)
  })
})
