/**
 * What the runner must mask of `issuer-key` before anything prints: the whole value and every
 * non-empty line (without `\r`).
 */
export function issuerKeyMasks(value: string): string[] {
  const lines = value.split('\n').map(line => line.replace(/\r/g, '').trim())
  return [value.trim(), ...lines].filter(Boolean)
}
