import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** A fresh directory under the OS temp dir; remove it with `removeDir` in the suite's `after`. */
export function tmpDir (prefix = 'millrace-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix))
}

export function removeDir (dir: string): void {
  rmSync(dir, { recursive: true, force: true })
}

let counter = 0
/** A topic name no other test in this process uses. */
export function uniqueTopic (prefix = 'topic'): string {
  counter++
  return `${prefix}-${process.pid}-${counter}`
}
