import { ApiFailure } from '../json.js'
import type { ComponentLabel, DatabaseUser, DatabaseUserRole, UserScope } from '../types.js'
import { invalidAttribute } from './context.js'

const ONE_WEEK_MS = 7 * 86_400_000
const scopeNamePattern = /^[a-zA-Z0-9][a-zA-Z0-9-]*$/

function missing(name: string): ApiFailure {
  return new ApiFailure(
    400,
    'MISSING_ATTRIBUTE',
    `The required attribute ${name} was not specified.`,
    [name]
  )
}

function enumValue<T extends string>(body: Record<string, unknown>, name: string, values: T[]): T {
  const value = body[name]
  if (value === undefined) return values[0] as T
  if (typeof value !== 'string' || !values.includes(value as T)) {
    const shown = typeof value === 'string' ? value : JSON.stringify(value)
    throw new ApiFailure(
      400,
      'INVALID_ENUM_VALUE',
      `An invalid enumeration value ${shown} was specified for ${name}.`,
      [shown, name]
    )
  }
  return value as T
}

function stringOf(value: unknown, name: string, min: number, max: number): string {
  if (typeof value !== 'string' || value.length < min || value.length > max) {
    throw invalidAttribute(name, `must be a string of ${min} to ${max} characters.`)
  }
  return value
}

function arrayOf(value: unknown, name: string): unknown[] {
  if (value === undefined) return []
  if (!Array.isArray(value)) throw invalidAttribute(name, 'must be an array.')
  return value
}

function objectOf(value: unknown, name: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalidAttribute(name, 'must be an object.')
  }
  return value as Record<string, unknown>
}

function roles(value: unknown): DatabaseUserRole[] {
  if (value === undefined) throw missing('roles')
  const list = arrayOf(value, 'roles')
  if (list.length === 0) throw invalidAttribute('roles', 'at least one role is required.')
  return list.map(item => {
    const role = objectOf(item, 'roles')
    if (role.roleName === undefined) throw missing('roles.roleName')
    if (role.databaseName === undefined) throw missing('roles.databaseName')
    return {
      roleName: stringOf(role.roleName, 'roles.roleName', 1, 1024),
      databaseName: stringOf(role.databaseName, 'roles.databaseName', 1, 1024),
      ...(role.collectionName !== undefined
        ? { collectionName: stringOf(role.collectionName, 'roles.collectionName', 1, 1024) }
        : {})
    }
  })
}

function scopes(value: unknown): UserScope[] {
  return arrayOf(value, 'scopes').map(item => {
    const scope = objectOf(item, 'scopes')
    const name = stringOf(scope.name, 'scopes.name', 1, 1024)
    if (!scopeNamePattern.test(name)) {
      throw invalidAttribute('scopes.name', `${name} does not match ${scopeNamePattern.source}.`)
    }
    return { name, type: enumValue(scope, 'type', ['CLUSTER', 'DATA_LAKE', 'STREAM']) }
  })
}

function labels(value: unknown): ComponentLabel[] {
  return arrayOf(value, 'labels').map(item => {
    const label = objectOf(item, 'labels')
    return {
      key: stringOf(label.key, 'labels.key', 1, 255),
      value: stringOf(label.value, 'labels.value', 1, 255)
    }
  })
}

/** A body groupId other than the path's (Atlas error code GROUP_MISMATCH). */
export function groupMismatch(bodyGroupId: unknown, pathGroupId: string): ApiFailure {
  return new ApiFailure(
    400,
    'GROUP_MISMATCH',
    `The group ID ${String(bodyGroupId)} in the body does not match the group ID ${pathGroupId} in the path.`,
    [String(bodyGroupId), pathGroupId]
  )
}

/** Validates a CloudDatabaseUser request body the way Atlas does for the fields the action uses. */
export function validateNewUser(
  body: Record<string, unknown>,
  groupId: string,
  now: Date
): DatabaseUser {
  for (const name of ['databaseName', 'groupId', 'username']) {
    if (body[name] === undefined || body[name] === null) throw missing(name)
  }
  if (body.groupId !== groupId) throw groupMismatch(body.groupId, groupId)
  const databaseName = enumValue(body, 'databaseName', ['admin', '$external'])
  const username = stringOf(body.username, 'username', 1, 1024)
  const x509Type = enumValue(body, 'x509Type', ['NONE', 'CUSTOMER', 'MANAGED'])
  const awsIAMType = enumValue(body, 'awsIAMType', ['NONE', 'USER', 'ROLE'])
  const ldapAuthType = enumValue(body, 'ldapAuthType', ['NONE', 'GROUP', 'USER'])
  const oidcAuthType = enumValue(body, 'oidcAuthType', ['NONE', 'IDP_GROUP', 'USER'])
  const external = [x509Type, awsIAMType, ldapAuthType, oidcAuthType].some(t => t !== 'NONE')
  if (external && databaseName !== '$external') {
    throw new ApiFailure(
      400,
      'DATABASE_NAME_INVALID_EXTERNAL',
      'Externally authenticated users can only be created on the $external database.'
    )
  }
  if (x509Type !== 'NONE' && body.password !== undefined) {
    throw new ApiFailure(400, 'ATLAS_X509_USER_CANNOT_USE_SCRAM', 'X.509 users cannot use SCRAM.')
  }
  const description =
    body.description === undefined ? undefined : stringOf(body.description, 'description', 0, 100)
  const deleteAfterDate = temporaryUntil(body.deleteAfterDate, x509Type, now)
  return {
    databaseName,
    groupId,
    username,
    x509Type,
    awsIAMType,
    ldapAuthType,
    oidcAuthType,
    roles: roles(body.roles),
    scopes: scopes(body.scopes),
    labels: labels(body.labels),
    ...(description !== undefined ? { description } : {}),
    ...(deleteAfterDate !== undefined ? { deleteAfterDate } : {})
  }
}

function temporaryUntil(value: unknown, x509Type: string, now: Date): string | undefined {
  if (value === undefined || value === null) return undefined
  if (x509Type !== 'NONE') {
    throw new ApiFailure(
      400,
      'ATLAS_X509_USER_CANNOT_BE_TEMPORARY',
      'X.509 users cannot be temporary.'
    )
  }
  const date = typeof value === 'string' ? new Date(value) : new Date(NaN)
  if (Number.isNaN(date.getTime()))
    throw invalidAttribute('deleteAfterDate', 'must be a date-time.')
  if (date <= now) {
    throw new ApiFailure(400, 'EXPIRATION_DATE_IN_PAST', 'The expiration date is in the past.')
  }
  if (date.getTime() - now.getTime() > ONE_WEEK_MS) {
    throw new ApiFailure(
      400,
      'EXPIRATION_DATE_EXCEEDS_MAX',
      'The expiration date must be within one week of now.'
    )
  }
  return date.toISOString()
}
