// Bundles each entry with @vercel/ncc into one minified ES module: dist/main/index.js, dist/post/index.js.
// `--check` rebuilds in memory and fails if dist/ differs (what CI and a test run).
import ncc from '@vercel/ncc'
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
export const ENTRIES = { main: 'src/index.ts', post: 'src/post.ts' }

export async function build(entry) {
  const { code, assets } = await ncc(join(root, entry), {
    minify: true,
    sourceMap: false,
    license: 'licenses.txt',
    quiet: true,
    target: 'es2022'
  })
  const files = { 'index.js': code }
  for (const [name, asset] of Object.entries(assets)) files[name] = asset.source.toString()
  return files
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
