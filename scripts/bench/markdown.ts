/** Small formatting helpers for the Markdown the bench prints. */

export type Align = 'left' | 'right'

/** A GitHub-flavoured Markdown table; numbers read best right-aligned. */
export function table(header: string[], rows: string[][], align: Align[] = []): string {
  const rule = header.map((_, i) => (align[i] === 'right' ? '---:' : '---'))
  return [header, rule, ...rows].map(cells => `| ${cells.join(' | ')} |`).join('\n')
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

export const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`
export const ms = (value: number) => (Number.isNaN(value) ? 'n/a' : `${value.toFixed(1)} ms`)
export const mb = (kilobytes: number) =>
  Number.isNaN(kilobytes) ? 'n/a' : `${(kilobytes / 1024).toFixed(1)} MB`
export const ratio = (value: number) => (Number.isNaN(value) ? 'n/a' : `${value.toFixed(2)}×`)

/** "≤ 550 KB ✅" or "≤ 550 KB ❌": a target next to the figure it judges. */
export function target(label: string, met: boolean): string {
  return `${label} ${met ? '✅' : '❌'}`
}

/** The markers around one region that `npm run bench` owns in a document. */
export function sectionMarkers(name: string): { start: string; end: string } {
  return { start: `<!-- bench:${name}:start -->`, end: `<!-- bench:${name}:end -->` }
}

/**
 * `document` with the region between the markers of `name` replaced by `content`; the prose
 * around it stays. Missing, repeated or misordered markers throw: figures written nowhere, or
 * over the wrong text, would pass unnoticed.
 */
export function replaceSection(document: string, name: string, content: string): string {
  const { start, end } = sectionMarkers(name)
  const from = document.indexOf(start)
  const to = document.indexOf(end)
  const once = (marker: string, at: number) => at >= 0 && document.indexOf(marker, at + 1) < 0
  if (!once(start, from) || !once(end, to) || to < from)
    throw new Error(`expected one "${start}" followed by one "${end}"`)
  return `${document.slice(0, from + start.length)}\n\n${content.trim()}\n\n${document.slice(to)}`
}
