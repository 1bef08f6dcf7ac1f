import { BlockList, isIP } from 'node:net'

/** Atlas keeps a temporary entry at most this far ahead ("no later than one week after"). */
export const MAX_TEMPORARY_MS = 7 * 86_400_000

/** One entry of a project's IP access list. */
export interface AccessListEntryState {
  /** `ipAddress` or `cidrBlock` as written. */
  value: string
  cidr: boolean
  comment?: string
  /** ISO 8601, when the entry is temporary. */
  deleteAfterDate?: string
  /** Epoch ms from which the entry is ACTIVE (PENDING before). */
  activeAt: number
}

/** An IPv4/IPv6 address, or a CIDR block whose prefix fits the family; undefined otherwise. */
export function parseEntryValue(value: string): { address: string; prefix?: number } | undefined {
  const [address = '', prefix, extra] = value.split('/')
  const family = isIP(address)
  if (family === 0 || extra !== undefined) return undefined
  if (prefix === undefined) return { address }
  if (!/^\d{1,3}$/.test(prefix) || Number(prefix) > (family === 4 ? 32 : 128)) return undefined
  return { address, prefix: Number(prefix) }
}

/** A project's IP access list: entries by value, temporary ones dropped once their date passes. */
export class AccessList {
  private readonly entries = new Map<string, AccessListEntryState>()

  list(nowMs: number): AccessListEntryState[] {
    this.expire(nowMs)
    return [...this.entries.values()]
  }

  get(value: string, nowMs: number): AccessListEntryState | undefined {
    this.expire(nowMs)
    return this.entries.get(value)
  }

  put(entry: AccessListEntryState): void {
    this.entries.set(entry.value, entry)
  }

  delete(value: string, nowMs: number): boolean {
    this.expire(nowMs)
    return this.entries.delete(value)
  }

  clear(): void {
    this.entries.clear()
  }

  /** Whether a client at `address` may connect now: an ACTIVE entry holds it. */
  admits(address: string, nowMs: number): boolean {
    const plain = address.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, '')
    const family = isIP(plain)
    if (family === 0) return false
    const blocks = new BlockList()
    for (const entry of this.list(nowMs)) {
      if (nowMs < entry.activeAt) continue
      const parsed = parseEntryValue(entry.value)
      if (!parsed) continue
      const type = isIP(parsed.address) === 4 ? 'ipv4' : 'ipv6'
      if (parsed.prefix === undefined) blocks.addAddress(parsed.address, type)
      else blocks.addSubnet(parsed.address, parsed.prefix, type)
    }
    return blocks.check(plain, family === 4 ? 'ipv4' : 'ipv6')
  }

  private expire(nowMs: number): void {
    for (const [value, entry] of this.entries) {
      if (entry.deleteAfterDate && Date.parse(entry.deleteAfterDate) <= nowMs)
        this.entries.delete(value)
    }
  }
}
