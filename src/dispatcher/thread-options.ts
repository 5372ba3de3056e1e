/**
 * What the broker's threads are started with, besides their data: the process's environment,
 * less the modules NODE_OPTIONS preloads (-r/--require, --import). Those are for the main
 * thread. A worker thread would run them again, and a monitoring preload written for one
 * thread per process corrupts its output when every thread runs it (clinic doctor's sampler
 * writes one stats file per pid from each thread that loads it).
 *
 * A worker drops NODE_OPTIONS preloads only with an env without NODE_OPTIONS (it refuses one
 * that holds process-wide flags, which the process applies to every thread anyway). Without
 * such preloads nothing is changed, and command-line options are always inherited as Node
 * does by default (an explicit execArgv would refuse the V8 flags profilers pass).
 */
const PRELOAD_FLAGS = new Set(['-r', '--require', '--import'])

export interface ThreadOptions {
  env?: NodeJS.ProcessEnv
}

export function threadOptions (env: NodeJS.ProcessEnv = process.env): ThreadOptions {
  if (!preloads(env.NODE_OPTIONS ?? '')) return {}
  const { NODE_OPTIONS: _preloading, ...rest } = env
  return { env: rest }
}

function preloads (nodeOptions: string): boolean {
  return nodeOptions.split(/\s+/).some((arg) => PRELOAD_FLAGS.has(arg) || arg.startsWith('--require=') || arg.startsWith('--import='))
}
