import { createCertificateAuthority, type CertificateAuthority } from './ca.js'
import type { Credentials, Emulator } from './types.js'

export const SEEDED_GROUP_ID = '32b6e34b3d91647abb20e7b8'
export const OTHER_GROUP_ID = '5e2211c17a3e5a48f5497de3'
/** The organisation that owns both seeded projects. */
export const SEEDED_ORG_ID = '5f0a1b2c3d4e5f6a7b8c9d0e'

/** Fake credentials: printing them is fine. */
export const EMULATOR_CREDENTIALS: Credentials = {
  publicKey: 'emulatorpub',
  privateKey: '5d4c3b2a-1f0e-4d9c-8b7a-6f5e4d3c2b1a',
  clientId: 'mdb_sa_id_65f1c0ffee0123456789abcd',
  clientSecret: 'mdb_sa_sk_emulator0secret0for0tests0only'
}

/** The CA that signs Atlas-managed client certs, valid from a day before start for ten years. */
export function createManagedCa(start: Date): Promise<CertificateAuthority> {
  return createCertificateAuthority(
    'managed-ca',
    'Atlas Emulator Managed X.509 CA',
    new Date(start.getTime() - 86_400_000),
    new Date(start.getTime() + 10 * 365 * 86_400_000)
  )
}

/** The demo project's clusters: one dedicated, one Flex (both apply user changes). */
export const SEEDED_CLUSTER = 'Cluster0'
export const SEEDED_FLEX_CLUSTER = 'FlexCluster0'

/** Seeds the two projects: users to issue certs for, clusters, and a CA to disable. */
export async function seedProjects(emulator: Emulator, now: Date): Promise<void> {
  const managed = { databaseName: '$external', x509Type: 'MANAGED' } as const
  emulator.addUser(SEEDED_GROUP_ID, { ...managed, username: 'ci-user' })
  emulator.addUser(SEEDED_GROUP_ID, { ...managed, username: 'release-bot' })
  emulator.addUser(SEEDED_GROUP_ID, {
    databaseName: '$external',
    username: 'ldap-user',
    x509Type: 'NONE',
    ldapAuthType: 'USER'
  })
  emulator.addCluster(SEEDED_GROUP_ID, SEEDED_CLUSTER)
  emulator.addCluster(SEEDED_GROUP_ID, SEEDED_FLEX_CLUSTER, { flex: true })
  const customerCa = await createCertificateAuthority(
    'customer-ca',
    'Customer Root CA',
    new Date(now.getTime() - 60_000),
    new Date(now.getTime() + 365 * 86_400_000)
  )
  emulator.setCustomerX509(OTHER_GROUP_ID, customerCa.pem)
}
