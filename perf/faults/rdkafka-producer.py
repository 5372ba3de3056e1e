#!/usr/bin/python3
"""librdkafka (confluent-kafka) producer for the fault suite.

Usage: rdkafka-producer.py BOOTSTRAP TOPIC COUNT PREFIX [idempotent] [flush-each=N]

Sends COUNT records with values PREFIX-0 … PREFIX-(COUNT-1), acks=all, and prints one line per
delivery report: `A value partition offset` when acknowledged, `E value error-name` when refused
or timed out. Exits after every report arrived (or after the flush timeout).
"""
import sys
from confluent_kafka import Producer

bootstrap, topic, count, prefix = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
flags = sys.argv[5:]
config = {
    'bootstrap.servers': bootstrap,
    'acks': 'all',
    'linger.ms': 2,
    'message.timeout.ms': 60000,
    'retry.backoff.ms': 50,
    'reconnect.backoff.ms': 20,
    'reconnect.backoff.max.ms': 200,
    'enable.idempotence': 'idempotent' in flags,
}
producer = Producer(config)


def report(err, msg):
    value = msg.value().decode()
    if err is None:
        print(f'A {value} {msg.partition()} {msg.offset()}', flush=True)
    else:
        print(f'E {value} {err.name()}', flush=True)


for i in range(count):
    while True:
        try:
            producer.produce(topic, value=f'{prefix}-{i}'.encode(), on_delivery=report)
            break
        except BufferError:
            producer.poll(0.05)
    producer.poll(0)
left = producer.flush(120)
print(f'D {left}', flush=True)
