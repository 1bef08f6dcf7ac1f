/**
 * The floor: the smallest action that does what every step must (load @actions/core and undici,
 * print one annotation, fail), bundled the same way as dist/. Nothing the action itself does at
 * start-up can be cheaper than this.
 */
import ncc from '@vercel/ncc'
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'

const FLOOR_ENTRY = `import * as core from '@actions/core'
import { Agent } from 'undici'

// Referenced so the bundler keeps undici, as the action's HTTP client does.
void Agent
core.error('floor', { title: 'Invalid input: x' })
process.exitCode = 1
`

/** What the floor bundle prints, so a run that did not really start it is caught. */
export const FLOOR_ANNOTATION = { title: 'Invalid input: x', message: 'floor' }

const ESM_PACKAGE_JSON = JSON.stringify({ type: 'module' })

export interface FloorBundle {
  path: string
  /** index.js plus any asset ncc emitted. */
  bytes: number
}

/**
 * Builds in `buildDir` (inside the project, so node_modules resolves; removed afterwards) and
 * writes the bundle to `outDir`.
 */
export async function buildFloor(buildDir: string, outDir: string): Promise<FloorBundle> {
  const entry = join(buildDir, 'entry.js')
  let output: Awaited<ReturnType<typeof ncc>>
  try {
    mkdirSync(buildDir, { recursive: true })
    // type: module makes ncc emit an ES module, like dist/.
    writeFileSync(join(buildDir, 'package.json'), ESM_PACKAGE_JSON)
    writeFileSync(entry, FLOOR_ENTRY)
    output = await ncc(entry, { minify: true, quiet: true, target: 'es2022' })
  } catch (error) {
    throw new Error(`Building the floor bundle with ncc failed: ${String(error)}`, { cause: error })
  } finally {
    rmSync(buildDir, { recursive: true, force: true })
  }
  return writeBundle(outDir, output.code, output.assets)
}

function writeBundle(
  outDir: string,
  code: string,
  assets: Record<string, { source: string | Buffer }>
): FloorBundle {
  mkdirSync(outDir, { recursive: true })
  writeFileSync(join(outDir, 'package.json'), ESM_PACKAGE_JSON)
  const path = join(outDir, 'index.js')
  writeFileSync(path, code)
  let bytes = Buffer.byteLength(code)
  for (const [name, asset] of Object.entries(assets)) {
    const file = join(outDir, name)
    mkdirSync(dirname(file), { recursive: true })
    writeFileSync(file, asset.source)
    bytes += Buffer.byteLength(asset.source)
  }
  return { path, bytes }
}
