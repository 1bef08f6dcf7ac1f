import type { FaultSpec } from './types.js'

interface ActiveFault {
  spec: FaultSpec
  remaining: number
}

/** Scripted faults, consumed in the order they were added. */
export class FaultBook {
  private faults: ActiveFault[] = []

  add(spec: FaultSpec): void {
    validateFault(spec)
    this.faults.push({ spec, remaining: spec.times ?? 1 })
  }

  clear(): void {
    this.faults = []
  }

  /**
   * Takes the first fault matching the request and counts one use.
   * `pathnames` holds the raw and the percent-decoded pathname, so '$external' and '%24external' both match.
   */
  take(
    method: string,
    pathnames: string[],
    accepts: (spec: FaultSpec) => boolean
  ): FaultSpec | null {
    const found = this.faults.find(
      f =>
        f.remaining > 0 &&
        (!f.spec.method || f.spec.method.toUpperCase() === method) &&
        pathnames.some(p =>
          typeof f.spec.path === 'string' ? f.spec.path === p : f.spec.path.test(p)
        ) &&
        accepts(f.spec)
    )
    if (!found) return null
    found.remaining -= 1
    this.faults = this.faults.filter(f => f.remaining > 0)
    return found.spec
  }
}

const kinds = new Set([
  'status',
  'drop',
  'delay',
  'html',
  'corrupt-pem',
  'redirect',
  'stale-nonce',
  'body',
  'lose-answer'
])

function validateFault(spec: FaultSpec): void {
  if (!kinds.has(spec.kind)) throw new Error(`unknown fault kind: ${String(spec.kind)}`)
  if (typeof spec.path !== 'string' && !(spec.path instanceof RegExp)) {
    throw new Error('fault path must be a string or a RegExp')
  }
  if (spec.times !== undefined && !(spec.times > 0)) throw new Error('fault times must be > 0')
  if (spec.kind === 'redirect' && !spec.location) throw new Error('redirect fault needs location')
  if (spec.kind === 'body' && typeof spec.body !== 'string')
    throw new Error('body fault needs body')
}

/** A FaultSpec sent as JSON to POST /__emulator/faults (`pathRegex` for a RegExp, `times: "Infinity"`). */
export function faultFromJson(input: unknown): FaultSpec {
  if (typeof input !== 'object' || input === null) throw new Error('fault must be a JSON object')
  const raw = input as Record<string, unknown>
  const { pathRegex, times, ...rest } = raw
  const path = typeof pathRegex === 'string' ? new RegExp(pathRegex) : raw.path
  const spec = {
    ...rest,
    path,
    ...(times === undefined
      ? {}
      : { times: times === 'Infinity' || times === null ? Infinity : times })
  } as FaultSpec
  validateFault(spec)
  return spec
}
