import type { X509Certificate } from 'node:crypto'
import type { ClusterState } from '../clusters.js'
import { userKey, type ProjectState } from '../state.js'

/**
 * The subject as MongoDB names an X.509 user: RFC 2253 order (last RDN first), comma-joined.
 * Node lists the RDNs in certificate order, one per line.
 */
export function rfc2253Subject(cert: X509Certificate): string {
  return cert.subject.split('\n').filter(Boolean).reverse().join(',')
}

function issuedBy(cert: X509Certificate, ca: X509Certificate): boolean {
  return cert.checkIssued(ca) && cert.verify(ca.publicKey)
}

/**
 * The `$external` user a verified client certificate logs in as on `cluster` now, or null.
 * A certificate of the managed CA names a MANAGED user by its CN (Atlas issues `CN=<username>`);
 * any other trusted certificate names a CUSTOMER user by its full RFC 2253 subject. The user must
 * be known to the cluster: a create still pending there does not count, a delete still pending
 * does not yet cut access.
 */
export function x509Login(
  cert: X509Certificate,
  managedCa: X509Certificate,
  project: ProjectState,
  cluster: ClusterState,
  nowMs: number
): string | null {
  const subject = rfc2253Subject(cert)
  const managed = issuedBy(cert, managedCa)
  const username = managed ? /^CN=([^,]+)$/.exec(subject)?.[1] : subject
  if (!username) return null
  const current = project.getUser('$external', username)
  const user = cluster.knownUser(userKey('$external', username), current, nowMs)
  if (!user || user.x509Type !== (managed ? 'MANAGED' : 'CUSTOMER')) return null
  return subject
}
