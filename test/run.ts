/**
 * `npm test`: runs every test file with uvu, passing its output through as it comes, then
 * prints the failures again at the very end. uvu reports a failure under its suite, somewhere
 * in hundreds of lines; a CI log that keeps only its tail would otherwise show the totals
 * without saying what failed.
 */
import { spawn } from 'node:child_process'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createInterface } from 'node:readline'

const TEST_DIR = fileURLToPath(new URL('.', import.meta.url))
// uvu's package exports only its modules; its command sits beside them.
const UVU_BIN = join(dirname(createRequire(import.meta.url).resolve('uvu')), '..', 'bin.js')
// uvu's colours are ANSI escapes; they are kept in the output and stripped for matching.
// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;]*m/g
const FILE_HEADER = /^\S.*\.test\.js$/
const TOTALS = /^\s+Total:/

// `node dist/test/run.js PATTERN` runs only the files PATTERN matches (it must end in \.test\.js$).
const pattern = process.argv[2] ?? '\\.test\\.js$'
const child = spawn(process.execPath, [UVU_BIN, TEST_DIR, pattern], { stdio: ['ignore', 'pipe', 'inherit'] })
const failures: string[] = []
let file = ''
let inFailure = false

createInterface({ input: child.stdout }).on('line', (line) => {
  process.stdout.write(line + '\n')
  const plain = line.replace(ANSI, '')
  if (FILE_HEADER.test(plain) || TOTALS.test(plain)) {
    file = plain
    inFailure = false
  } else if (plain.includes(' FAIL ')) {
    inFailure = true
    failures.push(`${file}:`)
  }
  if (inFailure) failures.push(line)
})

child.on('close', (code, signal) => {
  if (failures.length > 0) {
    process.stdout.write('\nFailures (each also shown above, under its file):\n' + failures.join('\n') + '\n')
  }
  process.exitCode = code ?? (signal === null ? 1 : 128)
})
