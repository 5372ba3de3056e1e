/**
 * `millrace groups` as a user runs it: the built CLI in a child process (spawned asynchronously,
 * since the broker runs in this process) against a broker started in this test, with a library
 * consumer as the group's member.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { Broker, type Consumer } from '../../src/index.js'
import { removeDir, tmpDir, uniqueTopic } from '../helpers/tmp-dir.js'
import { millrace, type CliRun as Run } from '../helpers/cli.js'
import { until } from '../helpers/until.js'

function ok (run: Run, what: string): string {
  assert.is(run.code, 0, `${what}: exit ${run.code}, stderr: ${run.stderr}`)
  return run.stdout
}

function failed (run: Run, code: number, message: RegExp, what: string): void {
  assert.is(run.code, code, `${what}: exit ${run.code}, stdout: ${run.stdout}`)
  assert.match(run.stderr, message, what)
}

/** The cells of the table row whose first cells are `first`. */
function row (text: string, ...first: string[]): string[] {
  for (const line of text.split('\n')) {
    const cells = line.trim().split(/\s+/)
    if (first.every((f, i) => cells[i] === f)) return cells
  }
  throw new Error(`no row starting ${first.join(' ')} in:\n${text}`)
}


interface Ctx { broker: Broker, dir: string, b: string[] }
const cli = suite<Ctx>('millrace groups')

cli.before(async (ctx) => {
  ctx.dir = tmpDir()
  ctx.broker = await Broker.start({ dataDir: ctx.dir, port: 0, workers: 2, groupInitialRebalanceDelayMs: 0 })
  ctx.b = ['--bootstrap', `127.0.0.1:${ctx.broker.port!}`]
})
cli.after(async (ctx) => {
  await ctx.broker.close()
  removeDir(ctx.dir)
})

cli('help, and usage errors exit 2 with the rule', async ({ b }) => {
  const help = await millrace(['groups', '--help'])
  assert.is(help.code, 0)
  assert.ok(help.stdout.startsWith('Usage: millrace groups'), help.stdout)
  assert.match(ok(await millrace(['--help']), 'top help'), /groups\s+list, describe, delete consumer groups/)
  failed(await millrace(['groups', ...b]), 2, /a subcommand is required/, 'no subcommand')
  failed(await millrace(['groups', 'rename', 'g', ...b]), 2, /unknown subcommand 'rename'/, 'unknown subcommand')
  failed(await millrace(['groups', 'list', 'extra', ...b]), 2, /'groups list' takes no arguments/, 'list with an argument')
  failed(await millrace(['groups', 'describe', ...b]), 2, /'groups describe' takes exactly one group id/, 'describe without a group')
  failed(await millrace(['groups', 'describe', 'g', '--state', ...b]), 2, /--state does not apply to 'groups describe'/, 'flag of another subcommand')
  failed(await millrace(['groups', 'reset-offsets', 'g', '--to-earliest', ...b]), 2, /needs --topic TOPIC/, 'reset without a topic')
  failed(await millrace(['groups', 'reset-offsets', 'g', '--topic', 't', ...b]), 2, /exactly one of --to-earliest, --to-latest, --to-offset N/, 'reset without a target')
  failed(await millrace(['groups', 'reset-offsets', 'g', '--topic', 't', '--to-earliest', '--to-latest', ...b]), 2, /exactly one of/, 'two targets')
  failed(await millrace(['groups', 'reset-offsets', 'g', '--topic', 't', '--to-offset=-3', ...b]), 2, /--to-offset must be an integer from 0/, 'negative offset')
})

cli('list, describe with lag, refusals while active, reset-offsets (dry run and --execute), delete', async ({ broker, b }) => {
  const topic = uniqueTopic('cli-groups')
  const group = uniqueTopic('cli-group')
  await broker.createTopic({ topic, partitions: 2 })
  const producer = broker.producer()
  await producer.send({ topic, messages: Array.from({ length: 20 }, (_, i) => ({ partition: i % 2, value: `v${i}` })) })
  await producer.close()
  const consumer: Consumer = broker.consumer({ groupId: group, clientId: 'cli-test-member', autoCommit: false, autoOffsetReset: 'earliest', heartbeatIntervalMs: 50, sessionTimeoutMs: 6000, maxWaitMs: 50 })
  consumer.subscribe({ topics: [topic] })
  await consumer.poll()
  await consumer.commit([{ topic, partition: 0, offset: 4 }, { topic, partition: 1, offset: 10 }])

  assert.ok(ok(await millrace(['groups', 'list', ...b]), 'list').split('\n').includes(group))
  assert.ok(ok(await millrace(['groups', 'list', '--state', ...b]), 'list --state').split('\n').includes(`${group}\tStable`))

  const described = ok(await millrace(['groups', 'describe', group, ...b]), 'describe')
  assert.match(described, `Group: ${group}\tState: Stable\tProtocolType: consumer\tProtocol: range\tMembers: 1`)
  assert.equal(row(described, topic, '0'), [topic, '0', '4', '10', '6', consumer.memberId, 'in-process', 'cli-test-member'])
  assert.equal(row(described, topic, '1'), [topic, '1', '10', '10', '0', consumer.memberId, 'in-process', 'cli-test-member'])
  assert.equal(row(described, consumer.memberId), [consumer.memberId, '-', 'in-process', 'cli-test-member', `${topic}:0,1`])

  failed(await millrace(['groups', 'delete', group, ...b]), 1, /group '.*' still has active members; stop its consumers first/, 'delete while active')
  failed(await millrace(['groups', 'reset-offsets', group, '--topic', topic, '--to-earliest', '--execute', ...b]), 1, /can only be reset while it has no active members; its state is Stable/, 'reset while active')

  await consumer.close()
  await until('the group is empty', async () => (await broker.describeGroup(group)).state === 'Empty')
  const emptyDescribe = ok(await millrace(['groups', 'describe', group, ...b]), 'describe empty')
  assert.match(emptyDescribe, 'State: Empty')
  assert.equal(row(emptyDescribe, topic, '0'), [topic, '0', '4', '10', '6', '-', '-', '-'])

  const dry = ok(await millrace(['groups', 'reset-offsets', group, '--topic', topic, '--to-earliest', ...b]), 'dry run')
  assert.equal(row(dry, group, topic, '0'), [group, topic, '0', '4', '0'])
  assert.match(dry, 'dry run: nothing committed')
  assert.equal((await broker.describeGroup(group)).offsets.map((o) => o.committedOffset), [4n, 10n], 'a dry run commits nothing')

  const partial = ok(await millrace(['groups', 'reset-offsets', group, '--topic', topic, '--to-offset', '7', '--partitions', '1', '--execute', ...b]), 'to-offset')
  assert.equal(row(partial, group, topic, '1'), [group, topic, '1', '10', '7'])
  assert.match(partial, `reset offsets of group ${group} on topic ${topic}`)
  assert.equal((await broker.describeGroup(group)).offsets.map((o) => o.committedOffset), [4n, 7n])

  ok(await millrace(['groups', 'reset-offsets', group, '--topic', topic, '--to-earliest', '--execute', ...b]), 'to-earliest')
  assert.equal((await broker.describeGroup(group)).offsets.map((o) => o.lag), [10n, 10n])
  const clamped = ok(await millrace(['groups', 'reset-offsets', group, '--topic', topic, '--to-offset', '500', '--execute', ...b]), 'clamped')
  assert.equal(row(clamped, group, topic, '0'), [group, topic, '0', '0', '10'])
  failed(await millrace(['groups', 'reset-offsets', group, '--topic', topic, '--to-latest', '--partitions', '9', ...b]), 1, /has no partition 9/, 'unknown partition')
  failed(await millrace(['groups', 'reset-offsets', group, '--topic', 'no-such-topic', '--to-latest', ...b]), 1, /topic 'no-such-topic' does not exist/, 'unknown topic')

  assert.match(ok(await millrace(['groups', 'delete', group, ...b]), 'delete'), `deleted group ${group}`)
  assert.not.ok(ok(await millrace(['groups', 'list', ...b]), 'list after delete').split('\n').includes(group))
  failed(await millrace(['groups', 'describe', group, ...b]), 1, /group '.*' does not exist/, 'describe deleted')
  failed(await millrace(['groups', 'delete', group, ...b]), 1, /group '.*' does not exist/, 'delete twice')
})

cli.run()
