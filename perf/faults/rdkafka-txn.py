#!/usr/bin/python3
"""librdkafka (confluent-kafka) transactional clients for the fault suite.

Usage:
  rdkafka-txn.py produce BOOTSTRAP TOPIC TXNS PER_TXN PREFIX TXN_ID
      TXNS transactions of PER_TXN records (PREFIX-t-i) spread over the topic's partitions.
  rdkafka-txn.py copy BOOTSTRAP INPUT OUTPUT GROUP TXN_ID
      consume INPUT read_committed from the group's committed offsets, produce each value to
      OUTPUT (same partition), send the offsets in the transaction, commit; exit 0 when the
      input is copied to its end.

Lines printed (flushed at once, so a SIGKILL loses none that were printed):
  P t        the records of transaction t are produced (not yet committed)
  E t        commit_transaction of t called
  A value partition offset   a record of a committed transaction, after its commit returned
  R t        transaction t was aborted (an abortable error) and is redone
A transaction whose commit returned prints its A lines, so only committed records are acked.
"""
import sys
import time
from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition

TIMEOUT = 60


def out(line):
    sys.stdout.write(line + '\n')
    sys.stdout.flush()


def producer_for(bootstrap, txn_id):
    producer = Producer({
        'bootstrap.servers': bootstrap,
        'transactional.id': txn_id,
        'transaction.timeout.ms': 60000,
        'linger.ms': 1,
        'retry.backoff.ms': 50,
        'reconnect.backoff.ms': 50,
        'reconnect.backoff.max.ms': 200,
    })
    producer.init_transactions(TIMEOUT)
    return producer


def finish(producer, commit):
    """Commits (or aborts); True when committed. Retriable errors retry, abortable ones abort."""
    while True:
        try:
            if commit:
                producer.commit_transaction(TIMEOUT)
                return True
            producer.abort_transaction(TIMEOUT)
            return False
        except KafkaException as e:
            err = e.args[0]
            if err.retriable():
                continue
            if commit and err.txn_requires_abort():
                commit = False
                continue
            raise


def transaction(producer, t, body):
    """Runs one transaction, again after an abort; prints its records once committed."""
    while True:
        reports = []

        def delivered(err, msg):
            if err is None:
                reports.append((msg.value().decode(), msg.partition(), msg.offset()))

        try:
            producer.begin_transaction()
            body(lambda topic, value, partition: producer.produce(topic, value, partition=partition, on_delivery=delivered))
            producer.flush(TIMEOUT)
            out('P %d' % t)
            time.sleep(0.02)  # a window for the fault to land mid-transaction
        except KafkaException as e:
            if not e.args[0].txn_requires_abort():
                raise
            finish(producer, False)
            out('R %d' % t)
            continue
        out('E %d' % t)
        if finish(producer, True):
            for value, partition, offset in reports:
                out('A %s %d %d' % (value, partition, offset))
            return True
        out('R %d' % t)
        return False


def produce(bootstrap, topic, txns, per_txn, prefix, txn_id):
    producer = producer_for(bootstrap, txn_id)
    partitions = len(producer.list_topics(topic, TIMEOUT).topics[topic].partitions)
    for t in range(txns):
        def body(send):
            for i in range(per_txn):
                send(topic, '%s-%d-%d' % (prefix, t, i), i % partitions)
        while not transaction(producer, t, body):
            pass


def copy(bootstrap, source, target, group, txn_id):
    producer = producer_for(bootstrap, txn_id)
    consumer = Consumer({'bootstrap.servers': bootstrap, 'group.id': group, 'enable.auto.commit': False,
                         'auto.offset.reset': 'earliest', 'isolation.level': 'read_committed'})
    partitions = [TopicPartition(source, p) for p in producer.list_topics(source, TIMEOUT).topics[source].partitions]
    consumer.assign(partitions)
    ends = {p.partition: consumer.get_watermark_offsets(p, TIMEOUT)[1] for p in partitions}
    t = 0
    while True:
        msgs = consumer.consume(50, 1)
        if not msgs:
            # A partition copied to its end before this run started has no position yet: its committed offset says.
            positions = consumer.position(consumer.assignment())
            unknown = [p for p in positions if p.offset < 0]
            if unknown:
                positions = [p for p in positions if p.offset >= 0] + consumer.committed(unknown, TIMEOUT)
            if all(p.offset >= ends[p.partition] for p in positions):
                break
            continue
        for m in msgs:
            if m.error():
                raise KafkaException(m.error())

        def body(send):
            for m in msgs:
                send(target, m.value(), m.partition())
            producer.send_offsets_to_transaction(consumer.position(consumer.assignment()), consumer.consumer_group_metadata(), TIMEOUT)
        # Redone after an abort with the same records and offsets: the copy stays exactly once.
        while not transaction(producer, t, body):
            pass
        t += 1
    consumer.close()


if sys.argv[1] == 'produce':
    produce(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), sys.argv[6], sys.argv[7])
else:
    copy(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5], sys.argv[6])
