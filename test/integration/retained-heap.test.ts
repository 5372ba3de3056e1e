/**
 * Short waits must not leave memory behind on the dispatcher's thread: 100,000 heartbeats (each a
 * call to the coordinator thread) and 100,000 Fetch long-polls that time out, all on connections
 * that stay open, then a forced GC. Before the fix each heartbeat kept ~0.6 KB until the
 * coordinator thread exited and each poll ~0.8 KB until its connection closed (~140 MB here).
 *
 * The scenario runs in a child process (test/fixtures/retained-heap-scenario.ts), so allocations
 * of other suites in this process cannot blur what it measures.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'

/** Growth allowed after 200,000 requests: what warm caches and allocator slack may hold, far below a leak. */
const MAX_RETAINED_BYTES = 5 * 1024 * 1024
const SCENARIO = fileURLToPath(new URL('../fixtures/retained-heap-scenario.js', import.meta.url))

const heap = suite('heap retained by heartbeats and long-polls')

heap('100,000 heartbeats and 100,000 timed-out long-polls leave the heap where it was', async () => {
  const stdout = await new Promise<string>((resolve, reject) => {
    execFile(process.execPath, ['--expose-gc', SCENARIO], { timeout: 180_000 }, (err, out, stderr) => {
      if (err !== null) reject(new Error(`the scenario failed: ${stderr}`))
      else resolve(out)
    })
  })
  const { grownBytes, stillOpen } = JSON.parse(stdout.trim().split('\n').pop()!) as { grownBytes: number, stillOpen: boolean }
  assert.ok(grownBytes < MAX_RETAINED_BYTES, `heap grew by ${(grownBytes / 1024 / 1024).toFixed(1)} MB over 100000 heartbeats and 100000 polls`)
  assert.ok(stillOpen, 'both connections stayed open: nothing was freed by a close')
})

heap.run()
