/**
 * `millrace topics`, `produce` and `consume` as a user runs them: the built CLI in a child
 * process against a broker started in this test (so the CLI is always spawned asynchronously),
 * plus records written by kcat to show that `consume` reads what another client wrote.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { freePort } from '../../src/bench/peer-process.js'
import { Broker } from '../../src/index.js'
import { partitionForKey } from '../../src/client/partitioner.js'
import { removeDir, tmpDir, uniqueTopic } from '../helpers/tmp-dir.js'
import { millrace, type CliRun as Run } from '../helpers/cli.js'
import { kcat } from './kafka-wire.js'

interface Ctx { broker: Broker, dir: string, b: string[] }
const cli = suite<Ctx>('millrace topics / produce / consume')

cli.before(async (ctx) => {
  ctx.dir = tmpDir()
  ctx.broker = await Broker.start({ dataDir: ctx.dir, port: 0, workers: 2 })
  ctx.b = ['--bootstrap', `127.0.0.1:${ctx.broker.port!}`]
})
cli.after(async (ctx) => {
  await ctx.broker.close()
  removeDir(ctx.dir)
})

function ok (run: Run, what: string): string {
  assert.is(run.code, 0, `${what}: exit ${run.code}, stderr: ${run.stderr}`)
  return run.stdout
}

cli('help text of every command exits 0', async () => {
  for (const [args, first] of [[['topics', '--help'], 'Usage: millrace topics'], [['produce', '--help'], 'Usage: millrace produce'], [['consume', '-h'], 'Usage: millrace consume'], [['--help'], 'Usage: millrace']] as const) {
    const run = await millrace([...args])
    assert.is(run.code, 0)
    assert.ok(run.stdout.startsWith(first), run.stdout)
  }
  const top = await millrace(['--help'])
  for (const command of ['topics', 'produce', 'consume']) assert.match(top.stdout, command)
})

cli('--version prints the package version; start --help lists start\'s own flags', async () => {
  const version = await millrace(['--version'])
  assert.is(version.code, 0)
  assert.match(version.stdout, /^millrace \d+\.\d+\.\d+\n$/)
  const startHelp = await millrace(['start', '--help'])
  assert.is(startHelp.code, 0)
  assert.ok(startHelp.stdout.startsWith('Usage: millrace start'), startHelp.stdout)
  for (const flag of ['--data', '--memory', '--port', '--http-port', '--http-host', '--no-http', '--log-level', '--log-format']) assert.match(startHelp.stdout, flag)
  assert.not.match(startHelp.stdout, 'Commands:', 'the command list belongs to the top-level help')
})

cli('a negative number gets the flag\'s own range message, not the parser\'s', async ({ b }) => {
  const topics = await millrace(['topics', 'create', uniqueTopic('cli-negative'), '--partitions', '-3', ...b])
  assert.is(topics.code, 2)
  assert.match(topics.stderr, "--partitions must be an integer from 1 to 2147483647, got '-3'")
  const start = await millrace(['start', '--memory', '--port', '0', '--http-port', '0', '--workers', '-3'])
  assert.is(start.code, 2)
  assert.match(start.stderr, 'options.workers must be an integer from 1 to 256')
  assert.not.match(start.stdout, 'millrace ready')
})

cli('topics create, list, describe, alter, delete', async ({ b }) => {
  const topic = uniqueTopic('cli-admin')
  assert.match(ok(await millrace(['topics', 'create', topic, '--partitions', '3', '--config', 'retention.ms=3600000', ...b]), 'create'), `created topic ${topic}`)
  assert.ok(ok(await millrace(['topics', 'list', ...b]), 'list').split('\n').includes(topic))

  let described = ok(await millrace(['topics', 'describe', topic, ...b]), 'describe')
  assert.match(described, `Topic: ${topic}\tPartitionCount: 3\tReplicationFactor: 1\tConfigs: retention.ms=3600000\n`)
  for (const p of [0, 1, 2]) assert.match(described, `\tPartition: ${p}\tLeader: 1\tReplicas: 1\tIsr: 1\tEarliest: 0\tLatest: 0`)

  const again = await millrace(['topics', 'create', topic, ...b])
  assert.is(again.code, 1)
  assert.match(again.stderr, 'TOPIC_ALREADY_EXISTS')

  ok(await millrace(['topics', 'alter', topic, '--config', 'cleanup.policy=compact', '--delete-config', 'retention.ms', ...b]), 'alter')
  described = ok(await millrace(['topics', 'describe', topic, ...b]), 'describe after alter')
  assert.match(described, '\tConfigs: cleanup.policy=compact\n')
  assert.not.match(described, 'retention.ms')

  // A compacted topic takes keyed records only (INVALID_RECORD otherwise, as Kafka answers).
  ok(await millrace(['produce', '--topic', topic, '--partition', '1', '-K', ':', ...b], 'k1:a\nk2:b\n'), 'produce')
  described = ok(await millrace(['topics', 'describe', topic, ...b]), 'describe after produce')
  assert.match(described, '\tPartition: 1\tLeader: 1\tReplicas: 1\tIsr: 1\tEarliest: 0\tLatest: 2')

  assert.match(ok(await millrace(['topics', 'delete', topic, ...b]), 'delete'), `deleted topic ${topic}`)
  assert.not.ok(ok(await millrace(['topics', 'list', ...b]), 'list after delete').split('\n').includes(topic))
  for (const args of [['topics', 'describe', topic], ['topics', 'delete', topic], ['topics', 'alter', topic, '--config', 'retention.ms=1']]) {
    const gone = await millrace([...args, ...b])
    assert.is(gone.code, 1, args.join(' '))
    assert.is(gone.stderr, `millrace: topic '${topic}' does not exist\n`)
  }
})

cli('produce keyed lines, consume them from the beginning with a format', async ({ b }) => {
  const topic = uniqueTopic('cli-keys')
  ok(await millrace(['topics', 'create', topic, '--partitions', '3', ...b]), 'create')
  const keys = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'alpha', 'bravo']
  const lines = keys.map((k, i) => `${k}:value ${i}: with a colon`)
  ok(await millrace(['produce', '--topic', topic, '--key-separator', ':', ...b], lines.join('\n') + '\n'), 'produce')

  const out = ok(await millrace(['consume', '--topic', topic, '--from-beginning', '--count', String(keys.length), '--format', '%k|%v|%p|%o\\n', ...b]), 'consume')
  const rows = out.split('\n').filter((l) => l !== '').map((l) => l.split('|'))
  assert.is(rows.length, keys.length)
  const nextOffset = new Map<number, number>()
  for (const [key, value, partition, offset] of rows) {
    const i = Number(/^value (\d+)/.exec(value)![1])
    assert.is(key, keys[i])
    assert.is(value, `value ${i}: with a colon`)
    assert.is(Number(partition), partitionForKey(Buffer.from(key), 3), `partition of ${key}`)
    // Within a partition, offsets count up from 0 in the order the lines were sent.
    const expected = nextOffset.get(Number(partition)) ?? 0
    assert.is(Number(offset), expected)
    nextOffset.set(Number(partition), expected + 1)
  }
  const sameKey = rows.filter((r) => r[0] === 'alpha').map((r) => r[1])
  assert.equal(sameKey, ['value 0: with a colon', 'value 5: with a colon'])
})

cli('consume --offset starts there; --timeout-ms ends an idle read', async ({ b }) => {
  const topic = uniqueTopic('cli-offset')
  ok(await millrace(['topics', 'create', topic, '--partitions', '1', ...b]), 'create')
  ok(await millrace(['produce', '-t', topic, '--acks', '1', ...b], 'a\nb\nc\nd\ne\n'), 'produce')
  assert.is(ok(await millrace(['consume', '-t', topic, '--offset', '3', '--count', '2', '-f', '%o=%v\\n', ...b]), 'consume --offset'), '3=d\n4=e\n')
  assert.is(ok(await millrace(['consume', '-t', topic, '--partition', '0', '--from-beginning', '--timeout-ms', '300', '-f', '%v,', ...b]), 'consume --timeout-ms'), 'a,b,c,d,e,')
  assert.is(ok(await millrace(['consume', '-t', topic, '--from-end', '--timeout-ms', '300', ...b]), 'consume --from-end'), '')
  const far = await millrace(['consume', '-t', topic, '--offset', '99', '--count', '1', ...b])
  assert.is(far.code, 1)
  assert.match(far.stderr, 'offset 99 is out of range for partition 0')
})

cli('consume reads records that kcat produced (keys, gzip)', async ({ broker, b }) => {
  const topic = uniqueTopic('cli-kcat')
  ok(await millrace(['topics', 'create', topic, '--partitions', '1', ...b]), 'create')
  await kcat(['-b', `127.0.0.1:${broker.port!}`, '-P', '-t', topic, '-p', '0', '-K', ':', '-z', 'gzip'], 'k1:one\nk2:two\nk3:three\n')
  const out = ok(await millrace(['consume', '-t', topic, '--from-beginning', '--count', '3', '--format', '%k=%v@%o\\t%T\\n', ...b]), 'consume')
  assert.is(out, `k1=one@0\t${topic}\nk2=two@1\t${topic}\nk3=three@2\t${topic}\n`)
})

cli('unknown topic, unreachable broker and bad flags: non-zero exit, one message', async ({ b }) => {
  const missing = uniqueTopic('cli-missing')
  for (const args of [['consume', '-t', missing, '--count', '1'], ['produce', '-t', missing]]) {
    const run = await millrace([...args, ...b], 'x\n')
    assert.is(run.code, 1, args[0])
    assert.is(run.stderr, `millrace: topic '${missing}' does not exist\n`)
  }

  const port = await freePort()
  const down = await millrace(['topics', 'list', '--bootstrap', `127.0.0.1:${port}`])
  assert.is(down.code, 1)
  assert.is(down.stderr, `millrace: cannot connect to 127.0.0.1:${port}: ECONNREFUSED\n`)

  for (const args of [['consume', '-t', 'x', '--bogus'], ['produce'], ['consume', '-t', 'x', '--count', 'many'], ['topics', 'create'], ['produce', '-t', 'x', '--acks', '2']]) {
    const run = await millrace([...args, ...b])
    assert.is(run.code, 2, args.join(' '))
    assert.is(run.stderr.split('\n').length, 2, run.stderr)
    assert.match(run.stderr, /^millrace: .*see 'millrace (consume|produce|topics) --help'/)
  }
})

cli.run()
