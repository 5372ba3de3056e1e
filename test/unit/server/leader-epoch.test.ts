import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { KafkaCode } from '../../../src/protocol/error-codes.js'
import { leaderEpochError } from '../../../src/server/leader-epoch.js'

/** [client's current leader epoch, partition's leader epoch, expected code]. */
const TABLE: Array<[number | undefined, number, number]> = [
  [undefined, 3, KafkaCode.NONE], // a version without the field
  [-1, 3, KafkaCode.NONE], // the client asks for no check
  [3, 3, KafkaCode.NONE],
  [0, 0, KafkaCode.NONE],
  [2, 3, KafkaCode.FENCED_LEADER_EPOCH], // the client missed a leadership change
  [0, 3, KafkaCode.FENCED_LEADER_EPOCH],
  [4, 3, KafkaCode.UNKNOWN_LEADER_EPOCH], // the client knows an epoch this broker has not reached
  [1, 0, KafkaCode.UNKNOWN_LEADER_EPOCH]
]

test('a current leader epoch is checked against the partition\'s: older is fenced, newer is unknown, -1 skips', () => {
  for (const [current, epoch, code] of TABLE) assert.is(leaderEpochError(current, epoch), code, `current ${String(current)} vs ${epoch}`)
})

test.run()
