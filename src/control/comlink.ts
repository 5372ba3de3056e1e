/**
 * The control plane's RPC: comlink over a MessagePort (create/open/close partitions, describe,
 * shut down). Record batches never travel here; they go through the rings.
 */
import type { MessagePort, Worker } from 'node:worker_threads'
import { expose, wrap } from 'comlink/dist/esm/comlink.mjs'
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs'
// The type from comlink's package entry, so the declarations we ship need no ambient module of ours.
import type { Remote } from 'comlink'

export type { Remote }

type NodePort = Parameters<typeof nodeEndpoint>[0]

export function exposeOn (port: MessagePort, target: object): void {
  expose(target, nodeEndpoint(port as unknown as NodePort))
}

export function remoteOn<T> (port: MessagePort | Worker): Remote<T> {
  // The ESM and UMD declarations describe the same proxy, but their symbols make them distinct types.
  return wrap<T>(nodeEndpoint(port as unknown as NodePort)) as unknown as Remote<T>
}
