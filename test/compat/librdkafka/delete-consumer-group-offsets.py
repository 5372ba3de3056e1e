#!/usr/bin/python3
"""
librdkafka's own DeleteConsumerGroupOffsets admin call (rd_kafka_DeleteConsumerGroupOffsets),
reached through ctypes: Debian's python3-confluent-kafka (1.7.0) predates the Python wrapper, but
the librdkafka it links (2.0.2) has the call. Prints one JSON line:

  {"error": <group-level Kafka code>, "partitions": [{"topic", "partition", "error"}, ...]}

Usage: delete-consumer-group-offsets.py BOOTSTRAP GROUP TOPIC PARTITION[,PARTITION...]
"""
import ctypes
import json
import sys


class TopicPartition(ctypes.Structure):
    # rd_kafka_topic_partition_t, as laid out in rdkafka.h
    _fields_ = [
        ('topic', ctypes.c_char_p),
        ('partition', ctypes.c_int32),
        ('offset', ctypes.c_int64),
        ('metadata', ctypes.c_void_p),
        ('metadata_size', ctypes.c_size_t),
        ('opaque', ctypes.c_void_p),
        ('err', ctypes.c_int),
        ('_private', ctypes.c_void_p),
    ]


class TopicPartitionList(ctypes.Structure):
    _fields_ = [('cnt', ctypes.c_int), ('size', ctypes.c_int), ('elems', ctypes.POINTER(TopicPartition))]


def declare(lib):
    p = ctypes.c_void_p
    sigs = {
        'rd_kafka_conf_new': ([], p),
        'rd_kafka_conf_set': ([p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_size_t], ctypes.c_int),
        'rd_kafka_new': ([ctypes.c_int, p, ctypes.c_char_p, ctypes.c_size_t], p),
        'rd_kafka_destroy': ([p], None),
        'rd_kafka_queue_new': ([p], p),
        'rd_kafka_queue_destroy': ([p], None),
        'rd_kafka_queue_poll': ([p, ctypes.c_int], p),
        'rd_kafka_event_destroy': ([p], None),
        'rd_kafka_event_error': ([p], ctypes.c_int),
        'rd_kafka_event_error_string': ([p], ctypes.c_char_p),
        'rd_kafka_topic_partition_list_new': ([ctypes.c_int], ctypes.POINTER(TopicPartitionList)),
        'rd_kafka_topic_partition_list_add': ([ctypes.POINTER(TopicPartitionList), ctypes.c_char_p, ctypes.c_int32], p),
        'rd_kafka_topic_partition_list_destroy': ([ctypes.POINTER(TopicPartitionList)], None),
        'rd_kafka_DeleteConsumerGroupOffsets_new': ([ctypes.c_char_p, ctypes.POINTER(TopicPartitionList)], p),
        'rd_kafka_DeleteConsumerGroupOffsets_destroy': ([p], None),
        'rd_kafka_DeleteConsumerGroupOffsets': ([p, ctypes.POINTER(p), ctypes.c_size_t, p, p], None),
        'rd_kafka_event_DeleteConsumerGroupOffsets_result': ([p], p),
        'rd_kafka_DeleteConsumerGroupOffsets_result_groups': ([p, ctypes.POINTER(ctypes.c_size_t)], ctypes.POINTER(p)),
        'rd_kafka_group_result_error': ([p], p),
        'rd_kafka_group_result_partitions': ([p], ctypes.POINTER(TopicPartitionList)),
        'rd_kafka_error_code': ([p], ctypes.c_int),
    }
    for name, (args, res) in sigs.items():
        fn = getattr(lib, name)
        fn.argtypes = args
        fn.restype = res


def main():
    bootstrap, group, topic, partitions = sys.argv[1:5]
    lib = ctypes.CDLL('librdkafka.so.1')
    declare(lib)
    errstr = ctypes.create_string_buffer(512)
    conf = lib.rd_kafka_conf_new()
    for key, value in (('bootstrap.servers', bootstrap), ('socket.timeout.ms', '10000')):
        if lib.rd_kafka_conf_set(conf, key.encode(), value.encode(), errstr, 512) != 0:
            raise SystemExit('conf %s: %s' % (key, errstr.value.decode()))
    rk = lib.rd_kafka_new(0, conf, errstr, 512)  # RD_KAFKA_PRODUCER: an admin client needs no consumer
    if not rk:
        raise SystemExit('rd_kafka_new: ' + errstr.value.decode())
    queue = lib.rd_kafka_queue_new(rk)
    wanted = lib.rd_kafka_topic_partition_list_new(8)
    for partition in partitions.split(','):
        lib.rd_kafka_topic_partition_list_add(wanted, topic.encode(), int(partition))
    request = ctypes.c_void_p(lib.rd_kafka_DeleteConsumerGroupOffsets_new(group.encode(), wanted))
    lib.rd_kafka_DeleteConsumerGroupOffsets(rk, ctypes.byref(request), 1, None, queue)
    event = lib.rd_kafka_queue_poll(queue, 30000)
    if not event:
        raise SystemExit('no DeleteConsumerGroupOffsets result within 30 s')
    out = {'error': lib.rd_kafka_event_error(event), 'partitions': []}
    if out['error'] != 0:
        out['message'] = (lib.rd_kafka_event_error_string(event) or b'').decode()
    else:
        result = lib.rd_kafka_event_DeleteConsumerGroupOffsets_result(event)
        count = ctypes.c_size_t(0)
        groups = lib.rd_kafka_DeleteConsumerGroupOffsets_result_groups(result, ctypes.byref(count))
        for i in range(count.value):
            error = lib.rd_kafka_group_result_error(groups[i])
            if error:
                out['error'] = lib.rd_kafka_error_code(error)
            parts = lib.rd_kafka_group_result_partitions(groups[i])
            if parts:
                for j in range(parts.contents.cnt):
                    e = parts.contents.elems[j]
                    out['partitions'].append({'topic': e.topic.decode(), 'partition': e.partition, 'error': e.err})
    print(json.dumps(out))
    lib.rd_kafka_event_destroy(event)
    lib.rd_kafka_DeleteConsumerGroupOffsets_destroy(request)
    lib.rd_kafka_topic_partition_list_destroy(wanted)
    lib.rd_kafka_queue_destroy(queue)
    lib.rd_kafka_destroy(rk)


if __name__ == '__main__':
    main()
