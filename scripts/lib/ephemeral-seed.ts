/** An ephemeral user as this action labels it, for the emulator's `addUser`: past `expiresAt`, prune deletes it. */
export function ephemeralUserSeed(username: string, expiresAt: string) {
  return {
    username,
    databaseName: '$external',
    x509Type: 'MANAGED' as const,
    labels: [
      { key: 'managed-by', value: 'atlas-x509-action' },
      { key: 'expires-at', value: expiresAt },
      { key: 'github-run', value: 'o/r/1/1/job' }
    ]
  }
}
