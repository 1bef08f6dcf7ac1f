import { randomBytes } from 'node:crypto'
import type { ChangeStatus, ClusterOptions, DatabaseUser, MongodEndpoint } from './types.js'

/** A pending user change on one cluster: until it applies, the cluster still sees `before`. */
interface UserChange {
  /** The user as the cluster knew it before the change; undefined: could not log in. */
  before: DatabaseUser | undefined
  /** Epoch ms from which the change is applied (if the cluster applies changes at all). */
  appliesAt: number
}

export function objectId(): string {
  return randomBytes(12).toString('hex')
}

/**
 * One dedicated or Flex cluster. Atlas applies database-user changes to each cluster
 * asynchronously: the cluster keeps the pending changes per user, and answers logins with the
 * user as it knew it before a change until that change applies.
 */
export class ClusterState {
  readonly id = objectId()
  readonly flex: boolean
  /** Overrides the emulator-wide apply delay for this cluster. */
  applyDelayMs: number | undefined
  /** False: pending changes never apply (status stays PENDING). */
  applies: boolean
  mongod?: MongodEndpoint
  private readonly changes = new Map<string, UserChange>()

  constructor(
    readonly groupId: string,
    readonly name: string,
    readonly createDate: Date,
    options: ClusterOptions = {}
  ) {
    this.flex = options.flex ?? false
    this.applyDelayMs = options.applyDelayMs
    this.applies = !(options.neverApplies ?? false)
  }

  /** A user with no scopes reaches every cluster; scoped users only their CLUSTER scopes. */
  reaches(user: DatabaseUser): boolean {
    if (user.scopes.length === 0) return true
    return user.scopes.some(scope => scope.type === 'CLUSTER' && scope.name === this.name)
  }

  /**
   * Records that `key` changes from what the cluster knows now to `current` at `appliesAt`.
   * `previous` is the project's user before the change (undefined on create).
   */
  scheduleUserChange(
    key: string,
    previous: DatabaseUser | undefined,
    nowMs: number,
    appliesAt: number
  ): void {
    this.changes.set(key, { before: this.knownUser(key, previous, nowMs), appliesAt })
  }

  /**
   * The user behind `key` as this cluster knows it at `nowMs`: the pre-change user while a
   * change is pending, else the project's current user if it reaches this cluster.
   */
  knownUser(
    key: string,
    current: DatabaseUser | undefined,
    nowMs: number
  ): DatabaseUser | undefined {
    const change = this.changes.get(key)
    if (change && !this.isApplied(change, nowMs)) return change.before
    return current && this.reaches(current) ? current : undefined
  }

  changeStatus(nowMs: number): ChangeStatus {
    for (const [key, change] of this.changes) {
      if (!this.isApplied(change, nowMs)) return 'PENDING'
      this.changes.delete(key)
    }
    return 'APPLIED'
  }

  private isApplied(change: UserChange, nowMs: number): boolean {
    return this.applies && nowMs >= change.appliesAt
  }
}
