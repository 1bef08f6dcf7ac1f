/**
 * The entry points `@github/local-action` loads: it imports `src/main.ts` (and the post entry,
 * `src/post-step.ts`) and calls their exported `run()`. Importing them must not run the action;
 * only `src/index.ts` and `src/post.ts`, the files ncc bundles for the runner, call `run()`.
 */
import { jest } from '@jest/globals'
import { readFileSync } from 'node:fs'

// Every function of @actions/core replaced by a recording stub, so any call made while the
// modules load (an input read, an output, a failure) is seen.
const realCore = await import('@actions/core')
const coreCalls = jest.fn()
const recordingCore = Object.fromEntries(
  Object.entries(realCore).map(([name, value]) => [
    name,
    typeof value === 'function'
      ? (...args: unknown[]) => coreCalls(name, ...args)
      : (value as unknown)
  ])
)
jest.unstable_mockModule('@actions/core', () => recordingCore)

describe.each([
  ['src/main.ts', '../../src/main.js'],
  ['src/post-step.ts', '../../src/post-step.js']
])('%s', (_file, specifier) => {
  it('exports a function run and does nothing when imported', async () => {
    // Workflow commands (::error::, ::set-output::) go to stdout; stderr carries Node's own
    // experimental-VM-modules warning, so it is not watched.
    const written = jest.spyOn(process.stdout, 'write').mockImplementation(() => true)
    const exitCodeBefore = process.exitCode
    let entry: Record<string, unknown>
    let writes: unknown[][]
    try {
      entry = (await import(specifier)) as Record<string, unknown>
      // Anything the import started asynchronously would show up within a few ticks.
      await new Promise(resolve => setTimeout(resolve, 50))
    } finally {
      // Read before restoring: mockRestore also forgets the calls.
      writes = [...written.mock.calls]
      written.mockRestore()
    }
    expect(typeof entry.run).toBe('function')
    expect(coreCalls).not.toHaveBeenCalled()
    expect(writes).toEqual([])
    expect(process.exitCode).toBe(exitCodeBefore)
  })
})

describe('the bundled entries', () => {
  it('src/index.ts runs the action when imported (so the checks above would see a run)', async () => {
    coreCalls.mockClear()
    const exitCodeBefore = process.exitCode
    try {
      await import('../../src/index.js')
      expect(coreCalls).toHaveBeenCalledWith('getInput', 'operation')
    } finally {
      // The run fails (no inputs) and sets the exit code: the worker's next test file must not inherit it.
      process.exitCode = exitCodeBefore
    }
  })

  it('src/post.ts imports run from ./post-step.js and calls it', () => {
    const source = readFileSync('src/post.ts', 'utf8')
    expect(source).toContain(`import { run } from './post-step.js'`)
    expect(source).toMatch(/^await run\(\)$/m)
  })

  it('src/index.ts begins the handshake, then loads run from ./main.js and calls it', () => {
    const source = readFileSync('src/index.ts', 'utf8')
    const handshake = source.indexOf('preconnect(process.env)')
    const load = source.indexOf(`const { run } = await import('./main.js')`)
    expect(handshake).toBeGreaterThan(0)
    expect(load).toBeGreaterThan(handshake)
    expect(source).toMatch(/^ {2}await run\(preconnection \? \{ preconnection \} : \{\}\)$/m)
    // Nothing but the handshake is loaded before the rest: main.js comes in by dynamic import.
    expect(source.match(/^import .*$/gm)).toEqual([
      `import { preconnect } from './atlas/preconnect.js'`
    ])
  })
})
