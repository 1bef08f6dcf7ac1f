/** Sizes of the bundled entries as committed in dist/, chunks that load lazily listed apart. */
import { readFileSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'

export interface BundleFile {
  /** Relative to the project root, e.g. dist/main/index.js. */
  file: string
  bytes: number
  /** When the runner loads it. */
  loads: string
}

export function bundleSizes(root: string): BundleFile[] {
  const files: BundleFile[] = [
    entryFile(root, 'dist/main/index.js', 'every main step'),
    entryFile(root, 'dist/post/index.js', 'every post step')
  ]
  // Any other .js in dist/main is a chunk ncc split off a dynamic import(): Octokit, the sealing
  // library and the code that uses them, which only a step with github-secret loads; the X.509
  // library and the signing code, which only a step with issuer-certificate loads; or the MongoDB
  // driver, which only a step with verify-login loads.
  // The chunks the entry itself loads (`__webpack_require__.e(<id>)`), once it has started the
  // handshake: the action and its runtime libraries, which every main step needs.
  const entry = readFileSync(join(root, 'dist/main/index.js'), 'utf8')
  const loadedByEntry = new Set([...entry.matchAll(/\.e\((\d+)\)/g)].map(m => `${m[1]}.index.js`))
  for (const name of readdirSync(join(root, 'dist/main')).sort()) {
    if (name === 'index.js' || !name.endsWith('.js')) continue
    if (loadedByEntry.has(name)) {
      files.push(
        entryFile(root, `dist/main/${name}`, 'every main step, after the handshake starts')
      )
      continue
    }
    const code = readFileSync(join(root, 'dist/main', name), 'utf8')
    const input = code.includes('MongoClient')
      ? 'verify-login: true'
      : /tsyringe|IssuerError/.test(code)
        ? 'issuer-certificate'
        : 'github-secret'
    files.push(
      entryFile(root, `dist/main/${name}`, `lazily, only by a main step with \`${input}\``)
    )
  }
  return files
}

function entryFile(root: string, file: string, loads: string): BundleFile {
  try {
    return { file, bytes: statSync(join(root, file)).size, loads }
  } catch (error) {
    throw new Error(`Cannot read ${file} (run \`npm run bundle\` first?): ${String(error)}`, {
      cause: error
    })
  }
}
