// @vercel/ncc ships no types: just the part of its JS API the bench calls.
declare module '@vercel/ncc' {
  interface NccOptions {
    minify?: boolean
    quiet?: boolean
    target?: string
    sourceMap?: boolean
    license?: string
  }
  interface NccAsset {
    source: string | Buffer
    permissions?: number
  }
  interface NccResult {
    code: string
    assets: Record<string, NccAsset>
  }
  export default function ncc(entry: string, options?: NccOptions): Promise<NccResult>
}
