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

function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, c => `&#${c.charCodeAt(0)};`)
}

export function coreIO(env: Readonly<Record<string, string | undefined>> = process.env): ActionIO {
  return {
    setSecret: value => core.setSecret(value),
    setOutput: (name, value) => core.setOutput(name, value),
    saveState: (name, value) => core.saveState(name, value),
    getState: name => core.getState(name),
    debug: message => core.debug(message),
    info: message => core.info(message),
    notice: (message, title) => core.notice(message, title ? { title } : {}),
    warning: (message, title) => core.warning(message, title ? { title } : {}),
    fail: (message, title) => {
      // core.error + exit code, not setFailed: setFailed would add a second annotation.
      core.error(message, { title })
      process.exitCode = 1
    },
    summary: async (heading, rows) => {
      if (!env.GITHUB_STEP_SUMMARY) {
        core.debug('GITHUB_STEP_SUMMARY is not set; no step summary written.')
        return
      }
      await core.summary
        .addHeading(escapeHtml(heading), 3)
        .addTable(
          rows.map(([name, value]) => [{ data: escapeHtml(name), header: true }, escapeHtml(value)])
        )
        .write()
    },
    summaryTable: async (heading, header, rows) => {
      if (!env.GITHUB_STEP_SUMMARY) {
        core.debug('GITHUB_STEP_SUMMARY is not set; no step summary written.')
        return
      }
      await core.summary
        .addHeading(escapeHtml(heading), 3)
        .addTable([
          header.map(name => ({ data: escapeHtml(name), header: true })),
          ...rows.map(row => row.map(escapeHtml))
        ])
        .write()
    }
  }
}
