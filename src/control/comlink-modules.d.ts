// comlink ships its ESM build as .mjs beside .d.ts files that TypeScript does not pair with
// them; these declarations point the .mjs paths at those types.
declare module 'comlink/dist/esm/comlink.mjs' {
  export * from 'comlink/dist/esm/comlink.js'
}
declare module 'comlink/dist/esm/node-adapter.mjs' {
  import type { Endpoint } from 'comlink/dist/esm/protocol.js'
  export interface NodeEndpoint {
    postMessage (message: unknown, transfer?: unknown[]): void
    on (type: string, listener: (value: unknown) => void): void
    off (type: string, listener: (value: unknown) => void): void
    start?: () => void
  }
  export default function nodeEndpoint (nep: NodeEndpoint): Endpoint
}
