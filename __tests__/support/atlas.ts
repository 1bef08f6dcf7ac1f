/** The emulator plus the step runner, with the leak scan applied to every step a test runs. */
import { readdirSync } from 'node:fs'
import { startEmulator, type Emulator, type EmulatorOptions } from '../../emulator/index.js'
import { recordContract } from './openapi-contract.js'
import {
  findLeaks,
  runStep,
  tempDir,
  type StepOptions,
  type StepResult
} from '../../scripts/lib/step.js'

export type CredentialKind = 'api-key' | 'service-account'
export const CREDENTIAL_KINDS: CredentialKind[] = ['api-key', 'service-account']

export interface Atlas {
  emulator: Emulator
  /** Inputs naming the emulator, its project and one kind of credential. */
  inputs(kind: CredentialKind, extra?: Record<string, string>): Record<string, string>
  /** Runs a step and fails the test if any secret the emulator handed out or knows leaked. */
  step(
    entry: 'main' | 'post',
    options?: StepOptions,
    scan?: { certificateOutputAllowed?: boolean }
  ): Promise<StepResult>
  /** A main step, then its post step with the same inputs and the state the main step saved. */
  job(
    options: StepOptions,
    scan?: { certificateOutputAllowed?: boolean }
  ): Promise<{ main: StepResult; post: StepResult; runnerTemp: string }>
  secrets(): string[]
  close(): Promise<void>
}

export async function startAtlas(options?: EmulatorOptions): Promise<Atlas> {
  const emulator = await startEmulator(options)
  // Every exchange of the action with the emulator keeps the official contract (ATLAS_OPENAPI).
  const contract = recordContract(emulator)
  const secrets = () => [
    emulator.credentials.privateKey,
    emulator.credentials.clientSecret,
    // The Basic credential of the token endpoint carries the client secret in base64.
    Buffer.from(`${emulator.credentials.clientId}:${emulator.credentials.clientSecret}`).toString(
      'base64'
    ),
    ...emulator.servedSecrets()
  ]
  const atlas: Atlas = {
    emulator,
    secrets,
    inputs: (kind, extra = {}) => ({
      'base-url': emulator.url,
      'group-id': emulator.groupId,
      ...(kind === 'api-key'
        ? {
            'public-key': emulator.credentials.publicKey,
            'private-key': emulator.credentials.privateKey
          }
        : {
            'client-id': emulator.credentials.clientId,
            'client-secret': emulator.credentials.clientSecret
          }),
      ...extra
    }),
    async step(entry, options = {}, scan = {}) {
      const result = await runStep(entry, options)
      const leaks = findLeaks(result, secrets(), scan)
      if (leaks.length > 0)
        throw new Error(`Secret leaked by the ${entry} step: ${leaks.join('; ')}`)
      return result
    },
    async job(options, scan) {
      const runnerTemp = options.runnerTemp ?? tempDir('runner-temp-')
      const main = await atlas.step('main', { ...options, runnerTemp }, scan)
      const post = await atlas.step('post', { ...options, runnerTemp, state: main.state }, scan)
      return { main, post, runnerTemp }
    },
    async close() {
      await emulator.close()
      contract.assertClean()
    }
  }
  return atlas
}

/** Files left in a folder (RUNNER_TEMP after a job must be empty of certificates). */
export function filesIn(folder: string): string[] {
  return readdirSync(folder)
}

/** Requests that reached the emulator's Atlas routes (control routes excluded). */
export function atlasRequests(emulator: Emulator) {
  return emulator.requests.filter(r => !r.path.startsWith('/__emulator'))
}
