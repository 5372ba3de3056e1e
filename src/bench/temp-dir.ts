/** Temp dirs for broker data and peer servers, removed after each run. */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export function makeTempDir (prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix))
}

export function removeTempDir (dir: string): void {
  rmSync(dir, { recursive: true, force: true, maxRetries: 3 })
}
