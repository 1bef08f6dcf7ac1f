/**
 * HTTP requests each operation makes against the local Atlas emulator, per kind of credentials:
 * the number a reviewer can compare against Atlas's rate limits and the cost of a slow network.
 */
import { execFileSync } from 'node:child_process'
import { mkdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Emulator } from '../../emulator/index.js'
import { runStep, type StepResult } from '../lib/step.js'
import { median } from './markdown.js'

export const AUTH_KINDS = ['service account', 'API key'] as const
export type AuthKind = (typeof AUTH_KINDS)[number]

/** A cell of the table: a request count, or why there is none. */
export type RequestCount = number | 'FAILED' | 'skipped'

export interface RequestRow {
  label: string
  counts: Record<AuthKind, RequestCount>
}

export interface RequestFigures {
  rows: RequestRow[]
  /** Median wall time of the create-certificate main step, per kind of credentials. */
  createCertificateMs: Record<AuthKind, number>
  failures: string[]
  notes: string[]
}

interface OperationCase {
  operation: string
  inputs?: Record<string, string>
  env?: Record<string, string>
  /** Puts the emulator in the state the operation needs; runs before every attempt. */
  prepare?(auth: AuthKind): void
  /** Also run the post step with the main step's state (counted on its own row). */
  withPost?: boolean
  /** Set when the case cannot run here; it is reported as skipped. */
  skipReason?: string
}

const TIMING_RUNS = 3
const STEP_TIMEOUT_MS = 30_000

export async function measureRequests(
  emulator: Emulator,
  workDir: string
): Promise<RequestFigures> {
  const figures: RequestFigures = {
    rows: [],
    createCertificateMs: { 'service account': NaN, 'API key': NaN },
    failures: [],
    notes: []
  }
  const runner = new StepRunner(emulator, workDir, figures.failures)
  for (const testCase of operationCases(emulator, workDir)) {
    const main: RequestRow = { label: testCase.operation, counts: emptyCounts() }
    const post: RequestRow = { label: `${testCase.operation} (post step)`, counts: emptyCounts() }
    for (const auth of AUTH_KINDS) {
      if (testCase.skipReason) {
        main.counts[auth] = 'skipped'
        continue
      }
      const result = await runner.run(testCase, auth)
      main.counts[auth] = result.mainRequests
      if (testCase.withPost) post.counts[auth] = result.postRequests
      if (testCase.operation === 'create-certificate')
        figures.createCertificateMs[auth] = await runner.medianWallMs(testCase, auth, TIMING_RUNS)
    }
    if (testCase.skipReason) figures.notes.push(`${testCase.operation}: ${testCase.skipReason}`)
    figures.rows.push(main)
    if (testCase.withPost) figures.rows.push(post)
  }
  return figures
}

function emptyCounts(): Record<AuthKind, RequestCount> {
  return { 'service account': 'skipped', 'API key': 'skipped' }
}

function operationCases(emulator: Emulator, workDir: string): OperationCase[] {
  // disable-customer-x509 turns the CA off: restore it before each run so every run disables.
  const otherGroupCa = emulator.customerX509(emulator.otherGroupId)
  const restoreOtherGroupCa = () => emulator.setCustomerX509(emulator.otherGroupId, otherGroupCa)
  const newCa = generateCaPem(workDir)
  return [
    { operation: 'create-certificate', inputs: { username: 'ci-user' } },
    { operation: 'list-certificates', inputs: { username: 'ci-user' } },
    {
      operation: 'get-customer-x509',
      inputs: { 'group-id': emulator.otherGroupId },
      prepare: restoreOtherGroupCa
    },
    {
      operation: 'set-customer-x509',
      inputs: { 'ca-certificates': newCa.pem ?? '' },
      // Starts from "no CA" each time, so both runs do the same work.
      prepare: () => emulator.setCustomerX509(emulator.groupId, null),
      skipReason: newCa.pem ? undefined : `skipped: could not generate a CA (${newCa.error})`
    },
    {
      operation: 'disable-customer-x509',
      inputs: { 'group-id': emulator.otherGroupId },
      prepare: restoreOtherGroupCa
    },
    {
      operation: 'create-ephemeral-user',
      inputs: { roles: 'read@app' },
      env: {
        GITHUB_REPOSITORY: 'o/r',
        GITHUB_RUN_ID: '1',
        GITHUB_RUN_ATTEMPT: '1',
        GITHUB_JOB: 'bench'
      },
      withPost: true
    },
    {
      operation: 'delete-user',
      inputs: { username: 'bench-delete-me' },
      prepare: () =>
        emulator.addUser(emulator.groupId, {
          username: 'bench-delete-me',
          databaseName: '$external',
          x509Type: 'MANAGED'
        })
    },
    { operation: 'prune-ephemeral-users' }
  ]
}

/** A throwaway CA for set-customer-x509, made with openssl (EC P-256, CA:TRUE). */
function generateCaPem(workDir: string): { pem?: string; error?: string } {
  const dir = join(workDir, 'ca')
  mkdirSync(dir, { recursive: true })
  const cert = join(dir, 'ca.pem')
  try {
    execFileSync(
      'openssl',
      [
        ...['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'],
        ...['-keyout', join(dir, 'ca.key'), '-out', cert, '-subj', '/CN=BenchCA', '-days', '30'],
        ...['-addext', 'basicConstraints=critical,CA:TRUE']
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] }
    )
    return { pem: readFileSync(cert, 'utf8') }
  } catch (error) {
    return { error: (error as Error).message.split('\n')[0] }
  }
}

class StepRunner {
  private runCount = 0

  constructor(
    private readonly emulator: Emulator,
    private readonly workDir: string,
    private readonly failures: string[]
  ) {}

  async run(
    testCase: OperationCase,
    auth: AuthKind
  ): Promise<{ mainRequests: RequestCount; postRequests: RequestCount }> {
    const main = await this.step('main', testCase, auth)
    if (!this.succeeded(main, testCase.operation, auth, 'main'))
      return { mainRequests: 'FAILED', postRequests: 'skipped' }
    const mainRequests = this.emulator.requests.length
    if (!testCase.withPost) return { mainRequests, postRequests: 'skipped' }

    const post = await this.step('post', testCase, auth, main.state)
    if (!this.succeeded(post, testCase.operation, auth, 'post'))
      return { mainRequests, postRequests: 'FAILED' }
    return { mainRequests, postRequests: this.emulator.requests.length }
  }

  async medianWallMs(testCase: OperationCase, auth: AuthKind, runs: number): Promise<number> {
    const times: number[] = []
    for (let i = 0; i < runs; i++) {
      const result = await this.step('main', testCase, auth)
      if (this.succeeded(result, testCase.operation, auth, `timing run ${i + 1}`))
        times.push(result.durationMs)
    }
    return median(times)
  }

  /** One step with fresh request log; state given only to a post step. */
  private async step(
    entry: 'main' | 'post',
    testCase: OperationCase,
    auth: AuthKind,
    state?: Record<string, string>
  ): Promise<StepResult> {
    if (entry === 'main') testCase.prepare?.(auth)
    this.emulator.clearRequests()
    // Inside the bench's work dir, so the certificate files go when it is removed.
    const runnerTemp = join(this.workDir, `runner-temp-${++this.runCount}`)
    mkdirSync(runnerTemp, { recursive: true })
    return runStep(entry, {
      inputs: { ...this.commonInputs(auth), operation: testCase.operation, ...testCase.inputs },
      env: testCase.env,
      state,
      runnerTemp,
      timeoutMs: STEP_TIMEOUT_MS
    })
  }

  private commonInputs(auth: AuthKind): Record<string, string> {
    const { url, groupId, credentials } = this.emulator
    const keys: Record<AuthKind, Record<string, string>> = {
      'service account': {
        'client-id': credentials.clientId,
        'client-secret': credentials.clientSecret
      },
      'API key': { 'public-key': credentials.publicKey, 'private-key': credentials.privateKey }
    }
    return { 'base-url': url, 'group-id': groupId, ...keys[auth] }
  }

  private succeeded(result: StepResult, operation: string, auth: AuthKind, what: string): boolean {
    if (result.exitCode === 0) return true
    const reason =
      result.errors.map(e => `${e.title ? `${e.title}: ` : ''}${e.message}`).join('; ') ||
      result.stderr.trim().split('\n').slice(-3).join(' / ') ||
      'no error printed'
    this.failures.push(`${operation} (${auth}, ${what}): exit ${result.exitCode}: ${reason}`)
    return false
  }
}
