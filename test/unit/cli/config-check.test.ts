import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { runConfig } from '../../../src/cli/config-check.js'
import { CliError } from '../../../src/cli/args.js'
import { removeDir, tmpDir } from '../../helpers/tmp-dir.js'

const check = suite<{ dir: string }>('millrace config check')

check.before((ctx) => { ctx.dir = tmpDir() })
check.after((ctx) => { removeDir(ctx.dir) })

async function output (argv: string[]): Promise<string> {
  let out = ''
  await runConfig(argv, (text) => { out += text })
  return out
}

async function refusal (argv: string[]): Promise<CliError> {
  try {
    await output(argv)
  } catch (err) {
    assert.ok(err instanceof CliError, String(err))
    return err as CliError
  }
  assert.unreachable('accepted')
  throw new Error('unreachable')
}

check('prints each effective setting with its origin, then the warnings', async ({ dir }) => {
  const file = join(dir, 'server.properties')
  writeFileSync(file, '# test\nnum.partitions=3\nlog.retention.hours=1\nnum.io.threads=8\nnum.partiton=2\n')
  const out = await output(['check', file])
  const lines = out.split('\n')
  assert.ok(lines.includes(`${file}: server.properties`), out)
  assert.match(out, /^num\.partitions +\s= 3 +# file, line 2$/m)
  assert.match(out, /^log\.retention\.ms +\s= 3600000 +# file, line 3 \(log\.retention\.hours\)$/m)
  assert.match(out, /^auto\.create\.topics\.enable +\s= true +# default$/m)
  assert.match(out, /^listeners +\s= PLAINTEXT:\/\/127\.0\.0\.1:9092 +# default$/m)
  assert.ok(lines.includes('warning: line 4: num.io.threads is ignored: Millrace sizes its threads itself (see millrace.workers and millrace.job.threads)'), out)
  assert.ok(lines.includes("warning: line 5: unknown key 'num.partiton' (did you mean 'num.partitions'?)"), out)
  assert.ok(lines.includes(`${file} is valid (2 warnings)`), out)
})

check('an invalid value fails with exit code 1 and names the key, the value and the rule', async ({ dir }) => {
  const file = join(dir, 'bad.properties')
  writeFileSync(file, 'num.partitions=0\n')
  const err = await refusal(['check', file])
  assert.is(err.exitCode, 1)
  assert.is(err.message, `${file}: line 1: num.partitions=0 must be an integer from 1 to 100000`)
})

check('a syntax error and a missing file fail with exit code 1', async ({ dir }) => {
  const file = join(dir, 'escape.properties')
  writeFileSync(file, 'a=\\uXYZW\n')
  assert.is((await refusal(['check', file])).message, `${file}: line 1: malformed \\u escape '\\uXYZW' (needs four hex digits)`)
  const missing = await refusal(['check', join(dir, 'absent.properties')])
  assert.is(missing.exitCode, 1)
  assert.match(missing.message, 'ENOENT')
})

check('JSON files are checked too', async ({ dir }) => {
  const file = join(dir, 'broker.json')
  writeFileSync(file, JSON.stringify({ defaultPartitions: 2 }))
  const out = await output(['check', file])
  assert.match(out, /^num\.partitions +\s= 2 +# file$/m)
  assert.ok(out.includes(`${file}: JSON broker options`))
})

check('--help prints the usage; a missing FILE or subcommand is a usage error (exit 2)', async () => {
  assert.match(await output(['--help']), 'Usage: millrace config check FILE')
  assert.match(await output(['check', '--help']), 'Usage: millrace config check FILE')
  assert.is((await refusal(['check'])).exitCode, 2)
  assert.is((await refusal([])).exitCode, 2)
  assert.is((await refusal(['show', 'x'])).message, "unknown config subcommand 'show' (see 'millrace config --help')")
})

check.run()
