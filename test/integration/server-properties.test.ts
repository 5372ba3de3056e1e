/**
 * `millrace start --config server.properties` as an operator runs it: Kafka keys take effect
 * for real clients, keys it does not honour are named in the log, flags override the file, a
 * bad value stops the start, and `millrace config check` answers with its exit code.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { removeDir, tmpDir, uniqueTopic } from '../helpers/tmp-dir.js'
import { millrace, startCli } from '../helpers/cli.js'
import { kcat } from './kafka-wire.js'

const EXAMPLE = fileURLToPath(new URL('../../../src/config/examples/server.properties', import.meta.url))

const props = suite<{ dir: string }>('millrace start --config server.properties')

props.before.each((ctx) => { ctx.dir = tmpDir() })
props.after.each((ctx) => { removeDir(ctx.dir) })

function portOf (readyLine: string): number {
  return Number(/listening on [^\s,]+:(\d+)[ ,]/.exec(readyLine)![1])
}

props('num.partitions, log.dirs and listeners take effect; ignored and unknown keys are named in the log', async ({ dir }) => {
  const file = join(dir, 'server.properties')
  writeFileSync(file, [
    '# an operator\'s file',
    `log.dirs=${join(dir, 'kafka-logs')}`,
    'listeners=PLAINTEXT://127.0.0.1:0',
    'num.partitions=3',
    'auto.create.topics.enable=true',
    'millrace.workers=1',
    'zookeeper.connect=localhost:2181',
    'num.partiton=5'
  ].join('\n'))
  const broker = startCli(['--config', file])
  try {
    const address = `127.0.0.1:${portOf(await broker.ready)}`
    const topic = uniqueTopic('props-auto')
    await kcat(['-b', address, '-P', '-t', topic], 'one\n')
    assert.match(await kcat(['-b', address, '-L', '-t', topic]), 'with 3 partitions')
    assert.ok(existsSync(join(dir, 'kafka-logs', `${topic}-2`)), 'partitions live under log.dirs')
    await broker.stderrHas("unknown key 'num.partiton' (did you mean 'num.partitions'?)")
    await broker.stderrHas('zookeeper.connect is ignored')
    const warning = broker.output().stderr.split('\n').find((l) => l.includes('num.partiton'))!
    assert.is(JSON.parse(warning).level, 40, 'logged at warn level')
  } finally {
    broker.child.kill('SIGTERM')
    assert.equal(await broker.exit, { code: 0, signal: null })
  }
})

props('auto.create.topics.enable=false leaves unknown topics uncreated; flags override the file', async ({ dir }) => {
  const file = join(dir, 'server.properties')
  writeFileSync(file, [
    `log.dirs=${join(dir, 'data')}`,
    // The flag --port 0 replaces this port (taken by nothing, since the flag wins).
    'listeners=PLAINTEXT://127.0.0.1:1',
    'advertised.listeners=PLAINTEXT://file.example:19092',
    'auto.create.topics.enable=false',
    'millrace.workers=1'
  ].join('\n'))
  const broker = startCli(['--config', file, '--port', '0', '--advertised-host', 'flag.example'])
  try {
    const port = portOf(await broker.ready)
    assert.not.equal(port, 1)
    const topic = uniqueTopic('props-absent')
    // kcat -L -t asks for the topic allowing auto-creation (it creates the topic when enabled).
    const listing = await kcat(['-b', `127.0.0.1:${port}`, '-L', '-t', topic])
    assert.match(listing, 'broker 1 at flag.example:19092', 'the advertised port from the file, the host from the flag')
    assert.match(listing, `topic "${topic}" with 0 partitions: Broker: Unknown topic or partition`)
    assert.not.ok(existsSync(join(dir, 'data', `${topic}-0`)))
  } finally {
    broker.child.kill('SIGTERM')
    assert.equal(await broker.exit, { code: 0, signal: null })
  }
})

props('a bad value stops the start, naming the key, the value and the rule', async ({ dir }) => {
  const file = join(dir, 'server.properties')
  writeFileSync(file, `log.dirs=${join(dir, 'data')}\nlisteners=PLAINTEXT://127.0.0.1:0\nlog.segment.bytes=tiny\n`)
  const run = await millrace(['start', '--config', file])
  assert.is(run.code, 2)
  assert.ok(run.stderr.includes(`millrace: --config ${file}: line 3: log.segment.bytes=tiny must be an integer ≥ 14 and ≤ 2147483647`), run.stderr)
  assert.not.ok(existsSync(join(dir, 'data')), 'nothing was started')
})

props('config check: the example file is valid (exit 0); a bad file is not (exit 1)', async ({ dir }) => {
  const good = await millrace(['config', 'check', EXAMPLE])
  assert.is(good.code, 0, good.stderr)
  assert.match(good.stdout, 'is valid (0 warnings)')
  const bad = join(dir, 'bad.properties')
  writeFileSync(bad, 'log.dirs=/a,/a/b\n')
  const run = await millrace(['config', 'check', bad])
  assert.is(run.code, 1)
  assert.match(run.stderr, 'line 1: log.dirs=/a,/a/b must not nest data dirs: /a/b is inside /a')
  const help = await millrace(['--help'])
  assert.match(help.stdout, 'config    check a broker config file')
})

props.run()
