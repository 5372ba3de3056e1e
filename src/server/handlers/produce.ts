/**
 * Produce (0): every partition's records go to its worker as bytes (the codec's view of the
 * request frame); the batch header, CRC and every record are checked there (batch-validator.ts).
 * v0-2 message sets are first up-converted to a batch v2 (legacy-records.ts). Each partition
 * gets its own error code; one bad partition never fails its siblings. All appends are issued
 * before the first await, so appends keep the order requests arrived in; the one exception, a
 * transactional batch's first append to a partition, waits for the coordinator's answer
 * (txn-produce-gate.ts), and later batches of that producer to that partition wait behind it.
 */
import type { PartitionProduceResponse, ProduceRequest, ProduceResponse } from '../../protocol/apis/produce.js'
import { KafkaCode } from '../../protocol/error-codes.js'
import { LogStatus } from '../../log/errors.js'
import type { AppendFault } from '../../partition/frames.js'
import type { RequestContext } from '../context.js'
import type { Acks } from '../../dispatcher/partition-router.js'
import { kafkaCodeOf } from '../status.js'
import { noteProducerRefusal } from '../fenced-produce.js'
import { isOffsetsTopic, refuseOffsetsTopic } from '../offsets-topic.js'
import { PRODUCE_BATCH_V2_FROM_VERSION, upConvertProduce } from './legacy-records.js'
import { CHECKS } from '../../security/api-operations.js'
import { ATTR_COMPRESSION_MASK, ATTR_TRANSACTIONAL, BATCH_LOG_OVERHEAD, kAttributes, kBatchLength, kMagic, producerEpochOf, producerIdOf } from '../../protocol/batch-header.js'

const ZSTD = 4

function txnRefusal (code: number): string {
  if (code === KafkaCode.INVALID_TXN_STATE) return 'the partition is not in the producer\'s ongoing transaction (AddPartitionsToTxn first)'
  if (code === KafkaCode.NOT_ENOUGH_REPLICAS) return 'the transaction coordinator could not be asked; retry'
  return 'the transaction coordinator refused this producer'
}
/** Produce version that introduced zstd. */
const ZSTD_FROM_VERSION = 7

function failed (index: number, errorCode: number, errorMessage: string | null = null): PartitionProduceResponse {
  return { index, errorCode, baseOffset: -1, logAppendTimeMs: -1, logStartOffset: -1, recordErrors: [], errorMessage }
}

/**
 * A partition whose batch the log refused: error_message says why and, for a refusal caused by
 * records (KIP-467, Produce v8+), record_errors names each by its index in the batch.
 */
function refused (index: number, errorCode: number, fault: AppendFault | null): PartitionProduceResponse {
  if (fault === null) return failed(index, errorCode)
  const res = failed(index, errorCode, fault.message)
  res.recordErrors = fault.recordIndexes.map(batchIndex => ({ batchIndex, batchIndexErrorMessage: fault.message }))
  return res
}

/** Checks Kafka makes before append (v3+: exactly one batch of magic 2; zstd from v7). */
function recordsProblem (records: Buffer | null, version: number): { code: number, message: string } | null {
  if (records === null || records.length < kAttributes + 2) return { code: KafkaCode.INVALID_RECORD, message: 'the partition data holds no record batch' }
  if (records[kMagic] !== 2) return { code: KafkaCode.INVALID_RECORD, message: `record batch magic ${records[kMagic]} is not supported; use magic 2` }
  const batchLength = records.readInt32BE(kBatchLength)
  if (batchLength + BATCH_LOG_OVERHEAD < records.length) return { code: KafkaCode.INVALID_RECORD, message: 'a produce request must carry exactly one record batch per partition' }
  if ((records.readInt16BE(kAttributes) & ATTR_COMPRESSION_MASK) === ZSTD && version < ZSTD_FROM_VERSION) {
    return { code: KafkaCode.UNSUPPORTED_COMPRESSION_TYPE, message: `zstd needs Produce v${ZSTD_FROM_VERSION} or later` }
  }
  return null
}

export async function handleProduce (ctx: RequestContext, req: ProduceRequest): Promise<ProduceResponse> {
  const { dispatcher, apiVersion } = ctx
  const validAcks = req.acks === 0 || req.acks === 1 || req.acks === -1
  const maxAppendBytes = dispatcher.router.maxAppendBytes
  // One check per request and per topic, never per partition or record.
  const transactional = req.transactionalId ?? null
  const deniedAll = transactional !== null && !ctx.access.allows(CHECKS.produce.transactionalId, transactional) ? CHECKS.produce.transactionalId.errorCode : null
  const pending = req.topicData.map((topic) => {
    const denied = deniedAll ?? (ctx.access.allows(CHECKS.produce.topic, topic.name) ? null : CHECKS.produce.topic.errorCode)
    const state = denied === null ? dispatcher.topic(topic.name) : undefined
    // Only the coordinator writes its log; Kafka refuses clients' appends to internal topics so.
    const internal = denied === null && isOffsetsTopic(topic.name) ? refuseOffsetsTopic(ctx, 'cannot append to') : null
    return {
      name: topic.name,
      partitions: topic.partitionData.map((pd): PartitionProduceResponse | Promise<PartitionProduceResponse> => {
        if (denied !== null) return failed(pd.index, denied)
        if (!validAcks) return failed(pd.index, KafkaCode.INVALID_REQUIRED_ACKS)
        if (internal !== null) return failed(pd.index, KafkaCode.INVALID_TOPIC_EXCEPTION, internal)
        const p = state?.partitions[pd.index]
        if (p === undefined) return failed(pd.index, KafkaCode.UNKNOWN_TOPIC_OR_PARTITION)
        let records = pd.records
        if (apiVersion < PRODUCE_BATCH_V2_FROM_VERSION) {
          const legacy = upConvertProduce(ctx, topic.name, records)
          if (legacy.problem !== null) return failed(pd.index, legacy.problem.code, legacy.problem.message)
          records = legacy.records
        }
        const problem = recordsProblem(records, apiVersion)
        if (problem !== null) return failed(pd.index, problem.code, problem.message)
        if (records!.length > maxAppendBytes) return failed(pd.index, KafkaCode.RECORD_LIST_TOO_LARGE, `the batch exceeds ${maxAppendBytes} bytes`)
        const append = (): Promise<PartitionProduceResponse> => dispatcher.router.append(p, records!, req.acks as Acks).then((answer): PartitionProduceResponse => {
          if (answer.status === LogStatus.InvalidProducerEpoch) noteProducerRefusal(ctx, topic.name, pd.index, producerIdOf(records!), producerEpochOf(records!), KafkaCode.INVALID_PRODUCER_EPOCH)
          if (answer.status !== LogStatus.Ok) return refused(pd.index, kafkaCodeOf(answer.status), answer.fault)
          return { index: pd.index, errorCode: KafkaCode.NONE, baseOffset: answer.baseOffset, logAppendTimeMs: answer.logAppendTime, logStartOffset: answer.logStartOffset, recordErrors: [], errorMessage: null }
        }, () => failed(pd.index, KafkaCode.NOT_LEADER_OR_FOLLOWER))
        // Not transactional, or transactional without a producer id (the log refuses that as INVALID_RECORD).
        if ((records!.readInt16BE(kAttributes) & ATTR_TRANSACTIONAL) === 0 || producerIdOf(records!) < 0) return append()
        // A transactional batch: its partition must be in the producer's transaction (cached after the first check).
        const verdict = dispatcher.txnProduceGate.check(producerIdOf(records!), producerEpochOf(records!), topic.name, pd.index)
        if (verdict === KafkaCode.NONE) return append()
        return Promise.resolve(verdict).then((code) => {
          if (code === KafkaCode.NONE) return append()
          noteProducerRefusal(ctx, topic.name, pd.index, producerIdOf(records!), producerEpochOf(records!), code)
          return failed(pd.index, code, txnRefusal(code))
        })
      })
    }
  })
  const responses = await Promise.all(pending.map(async (t) => ({ name: t.name, partitionResponses: await Promise.all(t.partitions) })))
  return { responses, throttleTimeMs: 0 }
}

/** For acks=0: whether any partition failed (Kafka then closes the connection so the client notices). */
export function produceFailed (res: ProduceResponse): boolean {
  return res.responses.some((t) => t.partitionResponses.some((p) => p.errorCode !== KafkaCode.NONE))
}
