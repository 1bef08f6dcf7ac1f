import * as core from '@actions/core'

/** What operations may do to the runner. The @actions/core implementation is below; tests may pass their own. */
export interface ActionIO {
  setSecret(value: string): void
  setOutput(name: string, value: string): void
  saveState(name: string, value: string): void
  /** State the main step saved (the post step reads it; '' when unset). */
  getState(name: string): string
  debug(message: string): void
  info(message: string): void
  notice(message: string, title?: string): void
  warning(message: string, title?: string): void
  /** The one error annotation of a failed step; also marks the step failed. */
  fail(message: string, title: string): void
  /** A Markdown table in the step summary; skipped with a debug line where there is none. */
  summary(heading: string, rows: ReadonlyArray<readonly [string, string]>): Promise<void>
  /** A Markdown table with a header row and any number of columns; skipped like `summary`. */
  summaryTable(
    heading: string,
    header: readonly string[],
    rows: ReadonlyArray<readonly string[]>
  ): Promise<void>
}

const LINE_BREAK = /\r\n|[\r\n\u2028\u2029\u0085]/g
// C0 controls other than tab, and DEL: an ESC could hide or rewrite log text in a terminal.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g
const escapeControl = (c: string) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`

/** Control characters shown as `\u001b`, line breaks kept (annotation and debug data escape them). */
export function printable(text: string): string {
  return text.replace(CONTROL, escapeControl)
}

/**
 * A plain log line that cannot be a workflow command. The runner reads each output line as a
 * command when, after leading blanks, it starts with `::` (or holds a legacy `##[`), and
 * `core.info` writes its text as is: so line breaks become a visible `\n`, a `##[` gets a space,
 * and a line that would start with `::` gets a leading backslash.
 */
export function logLine(text: string): string {
  const line = printable(text).replace(LINE_BREAK, '\\n').replace(/##\[/g, '# #[')
  return /^\s*::/.test(line) ? `\\${line}` : line
}

/**
 * Text for a step-summary cell or heading: one line of plain text inside the HTML table, with
 * every character that HTML or Markdown gives a meaning escaped, so no value from outside can
 * end the table, start a block (a blank line, `#`, `*`, `[`) or add markup.
 */
export function summaryText(text: string): string {
  return printable(text)
    .replace(LINE_BREAK, ' ')
    .replace(/[&<>"'|`*_[\]#\\~]/g, c => `&#${c.charCodeAt(0)};`)
}

export function coreIO(env: Readonly<Record<string, string | undefined>> = process.env): ActionIO {
  const title = (value: string | undefined) => (value ? { title: logLine(value) } : {})
  return {
    setSecret: value => core.setSecret(value),
    setOutput: (name, value) => core.setOutput(name, value),
    saveState: (name, value) => core.saveState(name, value),
    getState: name => core.getState(name),
    // Command data: @actions/core escapes line breaks (and `%`) there, so only controls remain.
    debug: message => core.debug(printable(message)),
    info: message => core.info(logLine(message)),
    notice: (message, name) => core.notice(printable(message), title(name)),
    warning: (message, name) => core.warning(printable(message), title(name)),
    fail: (message, name) => {
      // core.error + exit code, not setFailed: setFailed would add a second annotation.
      core.error(printable(message), title(name))
      process.exitCode = 1
    },
    summary: async (heading, rows) => {
      if (!env.GITHUB_STEP_SUMMARY) {
        core.debug('GITHUB_STEP_SUMMARY is not set; no step summary written.')
        return
      }
      await core.summary
        .addHeading(summaryText(heading), 3)
        .addTable(
          rows.map(([name, value]) => [
            { data: summaryText(name), header: true },
            summaryText(value)
          ])
        )
        .write()
    },
    summaryTable: async (heading, header, rows) => {
      if (!env.GITHUB_STEP_SUMMARY) {
        core.debug('GITHUB_STEP_SUMMARY is not set; no step summary written.')
        return
      }
      await core.summary
        .addHeading(summaryText(heading), 3)
        .addTable([
          header.map(name => ({ data: summaryText(name), header: true })),
          ...rows.map(row => row.map(cell => summaryText(cell)))
        ])
        .write()
    }
  }
}
