/**
 * `npm test`: jest, with line coverage of src/ measured by Node itself (NODE_V8_COVERAGE).
 *
 * Why not jest's own coverage: it opens an inspector session for every test file and enables the
 * debugger, which walks every script the worker ever loaded; with --experimental-vm-modules the
 * workers keep each test file's modules, so that walk grows with every file. On this project it
 * doubled the in-process tiers (16.2 s against 9.1 s). Node records block coverage for the whole
 * process at no per-file cost; this script then maps it back to the TypeScript exactly as jest
 * would: the code that ran is jest's own transform of each file (same transformer, same options,
 * same cache), and its source map leads to the .ts lines.
 *
 * Arguments go to jest. Prints the text summary and writes coverage/coverage-summary.json.
 */
import { spawnSync } from 'node:child_process'
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { join, relative, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { mergeProcessCovs } from '@bcoe/v8-coverage'
import { createScriptTransformer } from '@jest/transform'
import libCoverage from 'istanbul-lib-coverage'
import libReport from 'istanbul-lib-report'
import reports from 'istanbul-reports'
import { readConfig } from 'jest-config'
import v8ToIstanbul from 'v8-to-istanbul'

const ROOT = resolve(fileURLToPath(import.meta.url), '../..')
const SOURCE_DIR = join(ROOT, 'src')
const COVERAGE_DIR = join(ROOT, 'coverage')
const RAW_DIR = join(COVERAGE_DIR, 'v8')
// The options jest-runtime transforms an ES module with: the same code, so the same offsets.
const ESM_TRANSFORM = {
  instrument: false,
  supportsDynamicImport: true,
  supportsExportNamespaceFrom: true,
  supportsStaticESM: true,
  supportsTopLevelAwait: true
}

rmSync(RAW_DIR, { recursive: true, force: true })
mkdirSync(RAW_DIR, { recursive: true })
const jest = spawnSync(
  process.execPath,
  [
    '--experimental-vm-modules',
    join(ROOT, 'node_modules/jest/bin/jest.js'),
    ...process.argv.slice(2)
  ],
  { cwd: ROOT, stdio: 'inherit', env: { ...process.env, NODE_V8_COVERAGE: RAW_DIR } }
)
try {
  await reportCoverage()
} finally {
  rmSync(RAW_DIR, { recursive: true, force: true })
}
process.exitCode = jest.status ?? 1

async function reportCoverage() {
  const scripts = []
  for (const name of readdirSync(RAW_DIR)) {
    const { result } = JSON.parse(readFileSync(join(RAW_DIR, name), 'utf8'))
    for (const script of result) if (isSource(script.url)) scripts.push(script)
  }
  const ran = new Map(mergeProcessCovs([{ result: scripts }]).result.map(s => [s.url, s]))

  const { projectConfig } = await readConfig({}, ROOT)
  const transformer = await createScriptTransformer(projectConfig)
  const map = libCoverage.createCoverageMap({})
  for (const path of sourceFiles(SOURCE_DIR)) {
    const url = pathToFileURL(path).href
    const original = readFileSync(path, 'utf8')
    const transformed = await transformer.transformSourceAsync(path, original, ESM_TRANSFORM)
    if (!transformed.sourceMapPath)
      throw new Error(`jest's transform of ${path} gave no source map`)
    const sourceMap = JSON.parse(readFileSync(transformed.sourceMapPath, 'utf8'))
    const converter = v8ToIstanbul(path, 0, {
      originalSource: original,
      source: transformed.code,
      sourceMap: { sourcemap: { ...sourceMap, file: path } }
    })
    await converter.load()
    // A file no test loaded counts as not run at all, as jest's collectCoverageFrom does.
    const functions = ran.get(url)?.functions ?? [
      {
        functionName: '(empty-report)',
        isBlockCoverage: true,
        ranges: [{ startOffset: 0, endOffset: transformed.code.length, count: 0 }]
      }
    ]
    converter.applyCoverage(functions)
    map.merge(converter.toIstanbul())
  }

  const context = libReport.createContext({ dir: COVERAGE_DIR, coverageMap: map })
  reports.create('json-summary').execute(context)
  reports.create('text-summary').execute(context)
}

function isSource(url) {
  if (!url.startsWith('file:')) return false
  const path = fileURLToPath(url)
  return path.endsWith('.ts') && !relative(SOURCE_DIR, path).startsWith('..')
}

function sourceFiles(dir) {
  return readdirSync(dir)
    .map(name => join(dir, name))
    .flatMap(path =>
      statSync(path).isDirectory() ? sourceFiles(path) : path.endsWith('.ts') ? [path] : []
    )
    .sort()
}
