/** What both test harnesses (in-process and dist/) and their tests take from the emulator alike. */
import { readdirSync } from 'node:fs'
import type { Emulator } from '../../emulator/index.js'

export type CredentialKind = 'api-key' | 'service-account'
export const CREDENTIAL_KINDS: CredentialKind[] = ['api-key', 'service-account']

/** Inputs naming the emulator, its project and one kind of credential. */
export function emulatorInputs(
  emulator: Emulator,
  kind: CredentialKind,
  extra: Record<string, string> = {}
): Record<string, string> {
  return {
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
  }
}

/** Every secret a step could leak: the credentials, and what the emulator handed out. */
export function emulatorSecrets(emulator: Emulator): string[] {
  const { clientId, clientSecret, privateKey } = emulator.credentials
  return [
    privateKey,
    clientSecret,
    // The Basic credential of the token endpoint carries the client secret in base64.
    Buffer.from(`${clientId}:${clientSecret}`).toString('base64'),
    ...emulator.servedSecrets()
  ]
}

const DAY_MS = 86_400_000

/** A managed `$external` user whose only certificate expires in `days` days; its notAfter. */
export function userExpiringIn(emulator: Emulator, username: string, days: number): string {
  const notAfter = new Date(Math.floor((Date.now() + days * DAY_MS) / 1000) * 1000)
  emulator.addUser(emulator.groupId, { username })
  emulator.addCertificateRecord(emulator.groupId, username, {
    createdAt: new Date(Date.now() - DAY_MS),
    notAfter,
    subject: `CN=${username}`
  })
  return notAfter.toISOString()
}

/** The fields of each entry of the `certificates` output of list-certificates, in order. */
export const CERTIFICATE_ENTRY_FIELDS = [
  'username',
  'id',
  'subject',
  'createdAt',
  'notAfter',
  'groupId'
]

/** Files left in a folder (RUNNER_TEMP after a job must be empty of certificates). */
export function filesIn(folder: string): string[] {
  return readdirSync(folder)
}

/** Requests that reached the emulator's Atlas routes (control routes excluded). */
export function atlasRequests(emulator: Emulator) {
  return emulator.requests.filter(r => !r.path.startsWith('/__emulator'))
}

/**
 * What a main step with `emulatorInputs(emulator, kind)` saves about its session (origin, project,
 * credential): the part of the post step's state a test writes by hand along with the rest.
 */
export function sessionState(emulator: Emulator, kind: CredentialKind): Record<string, string> {
  const { clientId, publicKey } = emulator.credentials
  return {
    'atlas-origin': emulator.url,
    'group-id': emulator.groupId,
    credential: JSON.stringify(
      kind === 'api-key' ? { kind, id: publicKey } : { kind, id: clientId }
    )
  }
}

/** The ephemeral user under that name now carries another step's nonce (made again by someone else). */
export function relabelAsAnotherStep(emulator: Emulator, username: string): void {
  const user = emulator.getUser(emulator.groupId, '$external', username)!
  emulator.addUser(emulator.groupId, {
    ...user,
    labels: user.labels.map(l => (l.key === 'step-nonce' ? { ...l, value: 'another-step' } : l))
  })
}

export { ephemeralUserSeed } from '../../scripts/lib/ephemeral-seed.js'

/** Inputs naming the organisation (`org-id`) instead of the emulator's project. */
export function organisationInputs(
  emulator: Emulator,
  kind: CredentialKind,
  orgId: string,
  extra: Record<string, string> = {}
): Record<string, string> {
  const inputs = emulatorInputs(emulator, kind, { 'org-id': orgId, ...extra })
  delete inputs['group-id']
  return inputs
}
