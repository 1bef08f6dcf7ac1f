/** `UserSecurity` as GET/PATCH …/userSecurity answer it (only what this action reads). */
export interface UserSecurity {
  customerX509?: { cas?: string | null } | null
}

/** The customer CA PEM, or undefined when customer X.509 is off (absent, null, or empty `cas`). */
export function customerCas(security: UserSecurity): string | undefined {
  const cas = security.customerX509?.cas
  return typeof cas === 'string' && cas.trim() !== '' ? cas : undefined
}
