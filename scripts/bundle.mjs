// Bundles each entry with @vercel/ncc into one minified ES module: dist/main/index.js, dist/post/index.js.
// `--check` rebuilds in memory and fails if dist/ differs (what CI and a test run).
import ncc from '@vercel/ncc'
import { createHash } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { minify } from 'terser'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
export const ENTRIES = { main: 'src/index.ts', post: 'src/post.ts' }

/** The package folder (`node_modules/@scope/name`) a bundled module file belongs to. */
function packageFolder(file) {
  const at = file.lastIndexOf('node_modules/') + 'node_modules/'.length
  const parts = file.slice(at).split('/')
  return file.slice(0, at) + parts.slice(0, parts[0].startsWith('@') ? 2 : 1).join('/')
}

/** Folders of the production dependency tree, from package-lock.json (dev-only packages excluded). */
function productionFolders() {
  const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8'))
  return new Set(
    Object.entries(lock.packages)
      .filter(([path, entry]) => path && !entry.dev && !entry.devOptional)
      .map(([path]) => path)
  )
}

/**
 * Optional peer dependencies of bundled packages (the MongoDB driver's kerberos, snappy, …): ncc
 * stands a throwing `@@notfound` shim in for each, which the package's own try/catch expects.
 * Any other unresolved module is an error, as it would crash only at run time.
 */
function optionalPeers(folders) {
  return new Set(
    [...folders].flatMap(folder => {
      const manifest = JSON.parse(readFileSync(join(folder, 'package.json'), 'utf8'))
      return Object.entries(manifest.peerDependenciesMeta ?? {})
        .filter(([, meta]) => meta.optional)
        .map(([name]) => name)
    })
  )
}

/**
 * licenses.txt for one bundle: every package whose code ncc put in it, with its licence text. A
 * bundled package outside the production dependency tree is an error (it would ship unlisted).
 */
function licenses(stats) {
  const production = productionFolders()
  const files = [...stats.compilation.modules]
    .map(module => module.resource)
    .filter(file => typeof file === 'string' && file.includes('node_modules/'))
  const shims = files.filter(file => file.includes('/@vercel/ncc/dist/ncc/@@notfound.js?'))
  const folders = new Set(files.filter(file => !shims.includes(file)).map(packageFolder))
  const peers = optionalPeers(folders)
  for (const shim of shims) {
    const name = shim.slice(shim.indexOf('?') + 1)
    if (!peers.has(name))
      throw new Error(
        `${name} cannot be resolved and is no optional peer dependency: it would crash at run time`
      )
  }
  const sections = []
  for (const folder of [...folders].sort()) {
    const path = relative(root, folder)
    if (!production.has(path))
      throw new Error(`${path} is bundled but is not a production dependency in package-lock.json`)
    const manifest = JSON.parse(readFileSync(join(folder, 'package.json'), 'utf8'))
    const licenseFile = readdirSync(folder).find(name => /^(licen[cs]e|copying)/i.test(name))
    const text = licenseFile ? readFileSync(join(folder, licenseFile), 'utf8').trim() : ''
    sections.push(
      `${manifest.name}@${manifest.version}\n${manifest.license ?? 'UNKNOWN'}\n${text || '(no licence file in the package)'}`
    )
  }
  return sections.join('\n\n') + '\n'
}

export async function build(entry) {
  const { code, assets, stats } = await ncc(join(root, entry), {
    minify: true,
    sourceMap: false,
    quiet: true,
    target: 'es2022'
  })
  const files = { 'index.js': code, 'licenses.txt': licenses(stats) }
  for (const [name, asset] of Object.entries(assets)) {
    const source = asset.source.toString()
    // ncc minifies the entry only: the chunks it splits off (loaded by import()) come out as written.
    files[name] = name.endsWith('.js') ? await minifyChunk(name, source) : source
  }
  return stableChunkIds(files)
}

const CHUNK_FILE = /^(\d+)\.index\.js$/

/**
 * Renames the chunks after their content. webpack numbers a chunk by a hash of it, but settles a
 * clash between two numbers in whatever order its work finishes: the same sources then gave the
 * MongoDB driver's chunk 245 in one build and 328 in the next, and dist/ looked stale. The new
 * number hashes the chunk's code with every chunk number in it blanked out, so it depends on the
 * sources alone; the entry's runtime finds a chunk as `<number>.index.js`, through `.e(<number>)`.
 */
export function stableChunkIds(files) {
  const ids = Object.keys(files).flatMap(name => CHUNK_FILE.exec(name)?.[1] ?? [])
  if (ids.length === 0) return files
  const reference = new RegExp(`\\.e\\((${ids.join('|')})\\)`, 'g')
  const header = /^export const id=(\d+);export const ids=\[\1\];/
  const renamed = new Map()
  for (const id of ids) {
    const code = files[`${id}.index.js`]
    if (!header.test(code)) throw new Error(`chunk ${id} does not start with its id`)
    const blanked = code.replace(header, '').replace(reference, '.e(#)')
    const digest = createHash('sha256').update(blanked).digest()
    const next = String(10_000 + (digest.readUInt32BE(0) % 90_000))
    if ([...renamed.values()].includes(next))
      throw new Error(`two chunks hash to ${next}: change the numbering in scripts/bundle.mjs`)
    renamed.set(id, next)
  }
  const rewrite = code => code.replace(reference, (_, id) => `.e(${renamed.get(id)})`)
  const result = {}
  for (const [name, code] of Object.entries(files)) {
    const id = CHUNK_FILE.exec(name)?.[1]
    if (id === undefined) result[name] = name.endsWith('.js') ? rewrite(code) : code
    else {
      const next = renamed.get(id)
      result[`${next}.index.js`] = rewrite(
        code.replace(header, `export const id=${next};export const ids=[${next}];`)
      )
    }
  }
  return result
}

async function minifyChunk(name, source) {
  const result = await minify(source, {
    module: true,
    ecma: 2022,
    compress: { passes: 1 },
    mangle: true,
    format: { comments: false }
  })
  if (result.code === undefined) throw new Error(`terser gave no code for the chunk ${name}`)
  return result.code
}

async function main() {
  const check = process.argv.includes('--check')
  let stale = []
  for (const [name, entry] of Object.entries(ENTRIES)) {
    const files = await build(entry)
    const dir = join(root, 'dist', name)
    if (check) {
      const present = await readdir(dir).catch(() => [])
      for (const file of present)
        if (!(file in files)) stale.push(`dist/${name}/${file} (not made by the bundler)`)
      for (const [file, content] of Object.entries(files)) {
        const current = await readFile(join(dir, file), 'utf8').catch(() => undefined)
        if (current !== content) stale.push(`dist/${name}/${file}`)
      }
    } else {
      await rm(dir, { recursive: true, force: true })
      await mkdir(dir, { recursive: true })
      for (const [file, content] of Object.entries(files)) await writeFile(join(dir, file), content)
      console.log(
        `dist/${name}/index.js ${(Buffer.byteLength(files['index.js']) / 1024).toFixed(0)} KB`
      )
    }
  }
  if (check && stale.length) {
    console.error(`dist/ is stale (${stale.join(', ')}): run \`npm run bundle\` and commit dist/.`)
    process.exit(1)
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main()
