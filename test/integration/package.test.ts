/**
 * What `npm install millrace` gives a user: the tarball's file list (no tests or benchmarks),
 * and declarations that type-check in a strict project without skipLibCheck.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { execFile } from 'node:child_process'
import { mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { removeDir, tmpDir } from '../helpers/tmp-dir.js'
import { STATIC_DIR } from '../../src/http/console/static-assets.js'

const run = promisify(execFile)
const ROOT = fileURLToPath(new URL('../../../', import.meta.url))
const TSC = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc')
const CONSOLE_STATIC = 'src/http/console/static/'

const pkg = suite('the published package')

pkg('the tarball holds the built library, workers and config examples, not tests or benchmarks', async () => {
  const { stdout } = await run('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT })
  const files = (JSON.parse(stdout) as Array<{ files: Array<{ path: string }> }>)[0]!.files.map((f) => f.path)
  for (const needed of ['package.json', 'README.md', 'dist/src/index.js', 'dist/src/index.d.ts', 'dist/src/cli/main.js', 'dist/workers/partition-worker.js', 'dist/workers/coordinator.js', 'dist/workers/job.js',
    'src/config/examples/server.properties', 'src/config/examples/millrace.service',
    'dist/src/http/console/console-routes.js', 'src/http/console/static/index.html', 'src/http/console/static/app.js', 'src/http/console/static/style.css']) {
    assert.ok(files.includes(needed), `${needed} is in the tarball`)
  }
  // The console's page files and the example configs ship as they are; no other source does.
  const stray = (f: string): boolean => f.startsWith('dist/test') || f.startsWith('dist/perf') || (f.startsWith('src/') && !f.startsWith(CONSOLE_STATIC) && !f.startsWith('src/config/examples/')) || f.startsWith('test/')
  assert.equal(files.filter(stray), [])
  // Every file the console serves is in the tarball, where the built code looks for it.
  const served = readdirSync(STATIC_DIR).map((name) => `${CONSOLE_STATIC}${name}`)
  assert.equal(served.filter((f) => !files.includes(f)), [])
})

pkg('a strict TypeScript project type-checks against the shipped declarations without skipLibCheck', async () => {
  const dir = tmpDir('millrace-consumer-')
  try {
    mkdirSync(join(dir, 'node_modules'))
    symlinkSync(ROOT, join(dir, 'node_modules', 'millrace'))
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ type: 'module' }))
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({
      compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, skipLibCheck: false, types: ['node'], typeRoots: [join(ROOT, 'node_modules', '@types')] },
      files: ['app.ts']
    }))
    writeFileSync(join(dir, 'app.ts'), [
      "import { Broker, MillraceError, type BrokerOptions, type Logger } from 'millrace'",
      'const options: BrokerOptions = { dataDir: null }',
      'export async function main (logger?: Logger): Promise<void> {',
      '  const broker = await Broker.start({ ...options, logger })',
      "  const acks = await broker.producer().send({ topic: 't', messages: [{ value: 'v' }] })",
      '  const offset: bigint = acks[0]!.baseOffset',
      '  if (offset < 0n) throw new MillraceError(\'MR_ERR_KAFKA\', \'impossible\')',
      '  await broker.close()',
      '}'
    ].join('\n'))
    const result = await run(process.execPath, [TSC, '-p', dir]).catch((err: { stdout: string }) => err)
    assert.is(result.stdout, '', `tsc reported: ${result.stdout}`)
  } finally {
    removeDir(dir)
  }
})

pkg.run()
