/**
 * The swap of a clean's files (segment-cleaner.ts) into the log, crash-safe.
 *
 * Thread: the partition's owner (PartitionLog.commitClean), and whoever opens the directory.
 *
 * The job left `<base>.log.cleaned` (+ `.index.cleaned`, `.timeindex.cleaned`) fsynced. The
 * owner writes the manifest `cleaner-swap` (atomically): from then on the swap is decided. It
 * removes the replaced segments, renames the cleaned files over their final names (the log
 * last, so the old log stays whole under its name until then), fsyncs the directory and removes
 * the manifest. Every step can be run again, so opening a log finishes a swap whose manifest
 * exists, and discards `.cleaned` files that have none (a clean never committed).
 */
import { renameSync } from 'node:fs'
import { join } from 'node:path'
import type { CleanedGroup, CleanResult } from './compaction.js'
import { CLEANED_SUFFIX, cleanedName } from './segment-cleaner.js'
import { INDEX_SUFFIX, LOG_SUFFIX, segmentFileName, TIME_INDEX_SUFFIX } from './segment.js'
import type { LogStore } from './store.js'

export const SWAP_MANIFEST_FILE = 'cleaner-swap'

/** Whether every cleaned file of `result` is there, the log files at the size the job wrote. */
export function cleanedFilesPresent (store: LogStore, result: CleanResult): boolean {
  for (const group of result.groups) {
    for (const suffix of [INDEX_SUFFIX, TIME_INDEX_SUFFIX]) if (!store.exists(cleanedName(group.baseOffset, suffix))) return false
    const name = cleanedName(group.baseOffset, LOG_SUFFIX)
    if (!store.exists(name)) return false
    const log = store.open(name)
    const size = log.size
    log.close()
    if (size !== group.size) return false
  }
  return true
}

function rename (store: LogStore, from: string, to: string): void {
  if (!store.exists(from)) return
  if (store.path !== null) {
    renameSync(join(store.path, from), join(store.path, to))
    return
  }
  const bytes = store.readAll(from)
  if (bytes !== null) store.writeAtomic(to, bytes)
  store.remove(from)
}

export function writeSwapManifest (store: LogStore, groups: readonly CleanedGroup[]): void {
  const lines = groups.map(g => g.replaces.join(' '))
  store.writeAtomic(SWAP_MANIFEST_FILE, Buffer.from(`0\n${groups.length}\n${lines.join('\n')}\n`, 'latin1'))
}

/** The groups of a swap manifest (their first offset is the output's base), or null when there is none or it is unreadable. */
export function readSwapManifest (store: LogStore): number[][] | null {
  const bytes = store.readAll(SWAP_MANIFEST_FILE)
  if (bytes === null) return null
  const lines = bytes.toString('latin1').split('\n')
  if (lines[0] !== '0' || !/^\d+$/.test(lines[1] ?? '')) return null
  const count = Number(lines[1])
  const groups: number[][] = []
  for (let i = 0; i < count; i++) {
    const line = lines[2 + i]
    if (line === undefined || !/^\d+( \d+)*$/.test(line)) return null
    groups.push(line.split(' ').map(Number))
  }
  return groups
}

/**
 * The swap's file operations in order, each one idempotent, so a crash after any of them is
 * finished by running them all again. The log file is renamed last: until then the old log is
 * whole under its name.
 */
export function swapSteps (store: LogStore, groups: readonly number[][]): Array<() => void> {
  const steps: Array<() => void> = []
  for (const replaces of groups) {
    const base = replaces[0]
    for (const old of replaces.slice(1)) {
      steps.push(() => store.remove(segmentFileName(old, LOG_SUFFIX)))
      steps.push(() => store.remove(segmentFileName(old, INDEX_SUFFIX)))
      steps.push(() => store.remove(segmentFileName(old, TIME_INDEX_SUFFIX)))
    }
    steps.push(() => rename(store, cleanedName(base, INDEX_SUFFIX), segmentFileName(base, INDEX_SUFFIX)))
    steps.push(() => rename(store, cleanedName(base, TIME_INDEX_SUFFIX), segmentFileName(base, TIME_INDEX_SUFFIX)))
    steps.push(() => rename(store, cleanedName(base, LOG_SUFFIX), segmentFileName(base, LOG_SUFFIX)))
  }
  steps.push(() => store.syncDir())
  steps.push(() => store.remove(SWAP_MANIFEST_FILE))
  return steps
}

/** Removes `.cleaned` files that no manifest names: a clean that was never committed. */
export function discardCleaned (store: LogStore): void {
  for (const name of store.list()) if (name.endsWith(CLEANED_SUFFIX)) store.remove(name)
}

/**
 * Run before a directory's segments are read: finishes a swap whose manifest exists and drops
 * uncommitted `.cleaned` files. Returns whether a swap was finished.
 */
export function finishPendingSwap (store: LogStore): boolean {
  const groups = readSwapManifest(store)
  if (groups === null) {
    store.remove(SWAP_MANIFEST_FILE)
  } else {
    for (const step of swapSteps(store, groups)) step()
  }
  discardCleaned(store)
  return groups !== null
}
