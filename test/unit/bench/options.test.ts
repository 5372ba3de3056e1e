import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { CliError, EXIT_USAGE } from '../../../src/cli/args.js'
import { Compression } from '../../../src/protocol/compression.js'
import { HelpRequested, parseBenchArgs } from '../../../src/bench/options.js'

const options = suite('bench argument validation')

function rejects (argv: string[], message: RegExp): void {
  try {
    parseBenchArgs(argv)
  } catch (err) {
    assert.instance(err, CliError)
    assert.is((err as CliError).exitCode, EXIT_USAGE)
    assert.match((err as Error).message, message)
    assert.match((err as Error).message, /see 'millrace bench --help'/)
    return
  }
  assert.unreachable(`accepted ${argv.join(' ')}`)
}

options('defaults: server target, 1M records of 100 B, acks=1, 3 runs', () => {
  const o = parseBenchArgs(['produce'])
  assert.is(o.workload, 'produce')
  assert.is(o.target, 'server')
  assert.is(o.records, 1_000_000)
  assert.is(o.durationMs, undefined)
  assert.is(o.recordBytes, 100)
  assert.is(o.acks, 1)
  assert.is(o.runs, 3)
  assert.is(o.rate, undefined)
  assert.equal(o.vs, [])
  assert.is(o.compression, Compression.None)
  assert.ok(Object.isFrozen(o))
})

options('latency defaults to 10,000 records/s for 10 s', () => {
  const o = parseBenchArgs(['latency'])
  assert.is(o.rate, 10_000)
  assert.is(o.durationMs, 10_000)
  assert.is(o.records, undefined)
})

options('flags are read', () => {
  const o = parseBenchArgs(['mixed', '--brokers', 'localhost:9093', '--duration', '2.5', '--record-size', '512', '--partitions', '4',
    '--producers', '2', '--consumers', '2', '--acks', 'all', '--compression', 'lz4', '--batch-size', '65536', '--vs', 'redis,nats,redis', '--runs', '5'])
  assert.is(o.target, 'brokers')
  assert.equal(o.brokers, { host: 'localhost', port: 9093 })
  assert.is(o.durationMs, 2500)
  assert.is(o.recordBytes, 512)
  assert.is(o.partitions, 4)
  assert.is(o.acks, -1)
  assert.is(o.compression, Compression.Lz4)
  assert.is(o.batchBytes, 65536)
  assert.equal(o.vs, ['redis', 'nats'])
  assert.is(o.runs, 5)
})

options('--durable means acks=all and flush.messages=1', () => {
  const o = parseBenchArgs(['produce', '--durable'])
  assert.is(o.acks, -1)
  assert.equal(o.topicConfig, { 'flush.messages': '1' })
  rejects(['produce', '--durable', '--acks', '1'], /--durable means acks=all/)
  rejects(['produce', '--durable', '--memory'], /--durable needs a data dir/)
})

options('--help asks for the usage', () => {
  assert.throws(() => parseBenchArgs(['produce', '--help']), (err: unknown) => err instanceof HelpRequested)
})

options('a workload is required and must be known', () => {
  rejects([], /name a workload: produce, consume, latency, mixed, startup/)
  rejects(['throughput'], /unknown workload 'throughput'/)
  rejects(['produce', 'consume'], /one workload at a time/)
})

options('bad numbers name the flag and the range', () => {
  rejects(['produce', '--records', '0'], /--records must be an integer from 1 to/)
  rejects(['produce', '--records', '1e6'], /--records must be an integer/)
  rejects(['produce', '--partitions', 'many'], /--partitions must be an integer from 1 to 10000, got 'many'/)
  rejects(['produce', '--record-size', '1.5'], /--record-size must be an integer/)
  rejects(['produce', '--runs', '0'], /--runs must be an integer from 1 to 100/)
  rejects(['produce', '--duration', '0'], /--duration must be a number above 0/)
  rejects(['produce', '--rate', 'fast'], /--rate must be a number above 0/)
  rejects(['produce', '--records', '10', '--duration', '5'], /--records and --duration cannot be used together/)
  rejects(['consume', '--duration', '5'], /consume reads a fixed number of records/)
  rejects(['produce', '--record-size', '4000', '--batch-size', '2048'], /--batch-size 2048 cannot hold one record/)
  rejects(['latency', '--record-size', '4'], /--record-size must be at least 8/)
})

options('unknown flags, peers, targets and codecs are refused', () => {
  rejects(['produce', '--speed', '3'], /Unknown option '--speed'/)
  rejects(['produce', '--vs', 'kafka'], /unknown peer 'kafka' in --vs: use nats, redis/)
  rejects(['produce', '--vs', ','], /--vs needs a peer/)
  rejects(['produce', '--target', 'cloud'], /--target must be embedded or server/)
  rejects(['produce', '--acks', '2'], /--acks must be 0, 1 or all/)
  rejects(['produce', '--compression', 'brotli'], /--compression must be one of none, gzip, snappy, lz4, zstd/)
  rejects(['produce', '--profile', 'heap'], /--profile must be flame or doctor/)
  rejects(['produce', '--consumers', '3', '--partitions', '2', 'mixed'], /one workload at a time/)
  rejects(['mixed', '--consumers', '3', '--partitions', '2'], /--consumers 3 is more than --partitions 2/)
})

options('--brokers needs HOST:PORT and excludes Millrace-only flags', () => {
  rejects(['produce', '--brokers', 'localhost'], /--brokers must be HOST:PORT, got 'localhost'/)
  rejects(['produce', '--brokers', 'a:b'], /--brokers must be HOST:PORT/)
  rejects(['produce', '--brokers', 'h:99999'], /port must be from 1 to 65535/)
  rejects(['produce', '--brokers', 'h:9092', '--target', 'server'], /--brokers and --target cannot be used together/)
  rejects(['produce', '--brokers', 'h:9092', '--memory'], /apply to Millrace targets/)
  rejects(['produce', '--brokers', 'h:9092', '--profile', 'flame'], /--profile wraps the Millrace server/)
  rejects(['produce', '--memory', '--data', '/tmp/x'], /--memory and --data cannot be used together/)
  rejects(['produce', '--command-config', '/tmp/x.properties'], /--command-config applies to --brokers HOST:PORT/)
})

options('--idempotent and --transactional: the library producers, acks=all, embedded by default', () => {
  const plain = parseBenchArgs(['produce'])
  assert.is(plain.producerMode, 'plain')
  const txn = parseBenchArgs(['produce', '--transactional'])
  assert.is(txn.producerMode, 'transactional')
  assert.is(txn.target, 'embedded')
  assert.is(txn.acks, -1)
  assert.is(txn.txnRecords, 1000)
  assert.is(txn.compareIdempotent, false)
  const tuned = parseBenchArgs(['produce', '--transactional', '--txn-records', '250', '--compare-idempotent', '--target', 'embedded', '--acks', 'all'])
  assert.is(tuned.txnRecords, 250)
  assert.is(tuned.compareIdempotent, true)
  const idem = parseBenchArgs(['produce', '--idempotent'])
  assert.is(idem.producerMode, 'idempotent')
  assert.is(idem.acks, -1)
})

options('--idempotent and --transactional refuse what they cannot do', () => {
  rejects(['produce', '--transactional', '--idempotent'], /--transactional and --idempotent cannot be used together/)
  rejects(['consume', '--transactional'], /--transactional applies to the produce workload, not consume/)
  rejects(['produce', '--transactional', '--target', 'server'], /--transactional uses the library's transactional producer: it runs with --target embedded only/)
  rejects(['produce', '--idempotent', '--brokers', 'h:9092'], /--idempotent uses the library's idempotent producer/)
  rejects(['produce', '--transactional', '--acks', '1'], /--transactional means acks=all/)
  rejects(['produce', '--txn-records', '10'], /--txn-records applies to --transactional/)
  rejects(['produce', '--idempotent', '--compare-idempotent'], /--compare-idempotent applies to --transactional/)
  rejects(['produce', '--transactional', '--vs', 'nats'], /--vs cannot be used with --transactional/)
  rejects(['produce', '--transactional', '--txn-records', '0'], /--txn-records/)
})

options('--replication-factor and --compare-replication: replicas per topic, replication factor 1 as the baseline, acks=all', () => {
  const plain = parseBenchArgs(['produce'])
  assert.is(plain.replicationFactor, 1)
  assert.is(plain.compareReplication, false)
  const rf3 = parseBenchArgs(['produce', '--replication-factor', '3'])
  assert.is(rf3.replicationFactor, 3)
  assert.is(rf3.acks, 1)
  const compared = parseBenchArgs(['produce', '--replication-factor', '3', '--compare-replication'])
  assert.is(compared.compareReplication, true)
  assert.is(compared.acks, -1)
  assert.is(parseBenchArgs(['latency', '--replication-factor', '3', '--compare-replication', '--acks', '1']).acks, 1)
})

options('--replication-factor refuses what it cannot do', () => {
  rejects(['produce', '--replication-factor', '0'], /--replication-factor/)
  rejects(['produce', '--compare-replication'], /--compare-replication needs --replication-factor N above 1/)
  rejects(['produce', '--replication-factor', '3', '--memory'], /--replication-factor above 1 needs data dirs, not --memory/)
  rejects(['produce', '--transactional', '--compare-idempotent', '--replication-factor', '3', '--compare-replication'], /--compare-replication and --compare-idempotent cannot be used together/)
})

options.run()
