/** Sizes of the bundled entries as committed in dist/, chunks that load lazily listed apart. */
import { readdirSync, readFileSync, statSync } from 'node:fs'
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
  // Any other .js in dist/main is a chunk ncc split off a dynamic import(): the MongoDB driver,
  // which only a step with verify-login loads, or Octokit, the sealing library and the code that
  // uses them, which only a step with github-secret loads.
  for (const name of readdirSync(join(root, 'dist/main')).sort()) {
    if (name === 'index.js' || !name.endsWith('.js')) continue
    const driver = readFileSync(join(root, 'dist/main', name), 'utf8').includes('MongoClient')
    files.push(
      entryFile(
        root,
        `dist/main/${name}`,
        driver
          ? 'lazily, only by a main step with `verify-login: true` (the MongoDB driver)'
          : 'lazily, only by a main step with `github-secret`'
      )
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
