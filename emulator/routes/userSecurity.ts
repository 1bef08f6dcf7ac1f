import { parseCertificateBundle } from '../ca.js'
import { ApiFailure } from '../json.js'
import {
  groupApiUrl,
  invalidAttribute,
  requireJsonObject,
  type Reply,
  type RouteContext
} from './context.js'

/** The UserSecurity document: customerX509 only when a CA is set, LDAP always off. */
function userSecurityView(ctx: RouteContext): Record<string, unknown> {
  const cas = ctx.project.customerCas
  return {
    ...(cas
      ? {
          customerX509: {
            cas,
            links: [{ href: groupApiUrl(ctx, '/userSecurity/customerX509'), rel: 'self' }]
          }
        }
      : {}),
    ldap: {
      authenticationEnabled: false,
      authorizationEnabled: false,
      authzQueryTemplate: '{USER}?memberOf?base',
      port: 636,
      userToDNMapping: []
    },
    links: [{ href: groupApiUrl(ctx, '/userSecurity'), rel: 'self' }]
  }
}

export function getUserSecurity(ctx: RouteContext): Reply {
  return { status: 200, json: userSecurityView(ctx) }
}

/** PATCH: uploading (or clearing) customer CAs triggers a rolling restart; 202 Accepted. */
export function updateUserSecurity(ctx: RouteContext): Reply {
  const body = requireJsonObject(ctx)
  if (body.customerX509 !== undefined && body.customerX509 !== null) {
    if (typeof body.customerX509 !== 'object' || Array.isArray(body.customerX509)) {
      throw invalidAttribute('customerX509', 'must be an object.')
    }
    const cas = (body.customerX509 as Record<string, unknown>).cas
    if (cas === undefined || cas === null || cas === '') {
      ctx.project.customerCas = null
    } else if (typeof cas !== 'string') {
      throw invalidAttribute('customerX509.cas', 'must be a PEM string.')
    } else {
      checkCustomerCas(cas, ctx.now)
      ctx.project.customerCas = cas
    }
  }
  ctx.project.restartCount += 1
  return { status: 202, json: userSecurityView(ctx) }
}

function checkCustomerCas(cas: string, now: Date): void {
  let certs
  try {
    certs = parseCertificateBundle(cas)
  } catch (error) {
    throw invalidAttribute('customerX509.cas', `${(error as Error).message}.`)
  }
  if (certs.some(cert => new Date(cert.validTo) < now)) {
    throw new ApiFailure(
      400,
      'EXPIRED_X509_CA_CERTIFICATE',
      'The X.509 CA certificate has expired.'
    )
  }
}

/** DELETE …/userSecurity/customerX509: clears the CAs; Atlas restarts even when none was set. */
export function disableCustomerX509(ctx: RouteContext): Reply {
  ctx.project.customerCas = null
  ctx.project.restartCount += 1
  return { status: 202, json: userSecurityView(ctx) }
}
