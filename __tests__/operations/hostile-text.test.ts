/**
 * Text from a server or an input never becomes a workflow command or summary markup, and dates
 * are read strictly and re-written, never echoed.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { expect, jest } from '@jest/globals'
import { coreIO, logLine, summaryText } from '../../src/io.js'
import { singleTryStep, atlasForFile, visible, type StepOptions } from '../support/inprocess.js'

const atlas = atlasForFile()

const mainStep = (inputs: Record<string, string>, options: StepOptions = {}) =>
  singleTryStep(atlas, inputs, options)

const INJECTED =
  'x\n::error title=pwned::owned\r\n::set-output name=a::b\n##[add-mask]c\n  ::warning::w'

describe('logLine and summaryText', () => {
  it('keep every log line a single line that the runner cannot read as a command', () => {
    const line = logLine(INJECTED)
    expect(line.split(/[\r\n]/)).toHaveLength(1)
    expect(line).not.toContain('##[')
    expect(logLine('::error::x')).toBe('\\::error::x')
    expect(logLine('  ::error::x')).toBe('\\  ::error::x')
    expect(logLine('a\u001b[2Kb\u2028::c')).toBe('a\\u001b[2Kb\\n::c')
    expect(logLine('Deleted ci-user (expired 2026-01-01T00:00:00.000Z).')).toBe(
      'Deleted ci-user (expired 2026-01-01T00:00:00.000Z).'
    )
  })
  it('keep summary text inside its cell: no line break, markup or Markdown block start', () => {
    const cell = summaryText('a|b\n\n# Heading\n<script>x</script> *bold* [link](u) `code` &amp;')
    const withoutEntities = cell.replace(/&#\d+;/g, '')
    expect(withoutEntities).not.toMatch(/[\r\n|<>`*#[\]&]/)
    expect(summaryText('CN=ci-user, expires 2027-02-22T10:00:00.000Z')).toBe(
      'CN=ci-user, expires 2027-02-22T10:00:00.000Z'
    )
  })
})

describe('through run() with the @actions/core IO', () => {
  const saved = { ...process.env }
  let stdout: string[]
  let summaryFile: string
  beforeEach(() => {
    // The exit code is the worker's, shared with earlier test files: start from none.
    process.exitCode = undefined
    const folder = atlas.tempDir('hostile-core-')
    summaryFile = join(folder, 'summary')
    for (const name of ['summary', 'output', 'state']) writeFileSync(join(folder, name), '')
    process.env.GITHUB_STEP_SUMMARY = summaryFile
    process.env.GITHUB_OUTPUT = join(folder, 'output')
    process.env.GITHUB_STATE = join(folder, 'state')
    stdout = []
    jest.spyOn(process.stdout, 'write').mockImplementation(chunk => {
      stdout.push(String(chunk))
      return true
    })
  })
  afterEach(() => {
    jest.restoreAllMocks()
    process.env = { ...saved }
    process.exitCode = undefined
  })
  const lines = () => stdout.join('').split(/\r?\n|\r/)
  const commands = () => lines().filter(line => /^\s*::/.test(line) || line.includes('##['))

  it('a server-chosen username in prune output stays one plain line, and in one summary cell', async () => {
    const evil = 'gha-evil\n::error title=pwned::owned\n\n# Injected <b>heading</b> | cell'
    atlas.emulator.addUser(atlas.emulator.groupId, {
      username: evil,
      databaseName: '$external',
      x509Type: 'MANAGED',
      labels: [
        { key: 'managed-by', value: 'atlas-x509-action' },
        { key: 'expires-at', value: '2020-01-01T00:00:00.000Z' }
      ]
    })
    const result = await mainStep(
      { operation: 'prune-ephemeral-users' },
      { alsoTo: coreIO({ GITHUB_STEP_SUMMARY: summaryFile }) }
    )
    expect(result.exitCode).toBe(0)
    expect(process.exitCode).toBeUndefined()
    expect(commands().every(line => /^::(add-mask|debug)::/.test(line))).toBe(true)
    expect(lines().some(line => line.includes('gha-evil\\n::error title=pwned::owned'))).toBe(true)
    const summary = readFileSync(summaryFile, 'utf8')
    expect(summary).not.toMatch(/\n\s*\n/)
    expect(summary).not.toContain('<b>')
    expect(summary).not.toMatch(/^#/m)
  })

  it('an error detail with line breaks and commands gives exactly one error annotation', async () => {
    atlas.emulator.fault({
      path: /\/certs$/,
      kind: 'status',
      status: 400,
      errorCode: 'INVALID_ATTRIBUTE',
      detail: INJECTED
    })
    const result = await mainStep(
      { operation: 'create-certificate', username: 'ci-user' },
      { alsoTo: coreIO({ GITHUB_STEP_SUMMARY: summaryFile }) }
    )
    expect(result.errors).toHaveLength(1)
    expect(process.exitCode).toBe(1)
    const annotations = commands().filter(line => !/^::(add-mask|debug)::/.test(line))
    expect(annotations).toHaveLength(1)
    expect(annotations[0]).toMatch(/^::error title=Atlas INVALID_ATTRIBUTE \(HTTP 400\)::/)
    expect(readFileSync(summaryFile, 'utf8')).not.toMatch(/\n\s*\n|<b>|^::/m)
  })
})

describe('dates are parsed and re-written, never passed through', () => {
  it('reports certificate dates that are not ISO 8601 UTC instead of echoing them', async () => {
    atlas.emulator.fault({
      method: 'GET',
      path: /\/databaseUsers\/ci-user\/certs$/,
      kind: 'body',
      body: JSON.stringify({
        results: [
          { _id: 1, subject: 'CN=ci-user', createdAt: 'Jan 1 1970', notAfter: '1' },
          {
            _id: 2,
            subject: 'CN=ci-user',
            createdAt: '2026-01-01T00:00:00Z',
            notAfter: '2099-02-30T00:00:00Z'
          },
          {
            _id: 3,
            subject: 'CN=ci-user',
            createdAt: '2026-01-01T00:00:00Z',
            notAfter: '2099-01-01T00:00:00Z'
          }
        ],
        totalCount: 3
      })
    })
    const result = await mainStep({
      operation: 'list-certificates',
      username: 'ci-user'
    })
    expect(result.errors).toEqual([])
    const listed = JSON.parse(result.outputs.certificates!) as Array<Record<string, string>>
    expect(listed.map(c => [c.id, c.notAfter])).toEqual([
      ['3', '2099-01-01T00:00:00.000Z'],
      ['1', ''],
      ['2', '']
    ])
    expect(result.outputs['next-expiry']).toBe('2099-01-01T00:00:00.000Z')
    expect(result.outputs['latest-expiry']).toBe('2099-01-01T00:00:00.000Z')
    expect(result.warnings).toEqual([
      {
        level: 'warning',
        title: 'Unreadable certificate dates',
        message: expect.stringMatching(/id 1, 2/)
      }
    ])
    const text = visible(result)
    for (const raw of ['Jan 1 1970', '2099-02-30', '1970-01-01']) expect(text).not.toContain(raw)
  })
})
