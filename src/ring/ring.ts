/**
 * Single-producer single-consumer rings of variable-length frames over a SharedArrayBuffer.
 * The ring carries bytes and knows nothing about Kafka. See layout.ts for the memory layout
 * and wait.ts for the sleep/wake protocol.
 */
export {
  createRing, maxFrameBytes, ringCapacity, ringUsedBytes, frameBytes, HEADER_BYTES, MIN_RING_BYTES, MAX_RING_BYTES,
  RING_OPEN, RING_CLOSED, RING_FAULTED, type RingState
} from './layout.js'
export { RingWriter, type RingEndOptions } from './writer.js'
export { RingReader } from './reader.js'
export { DEFAULT_SPIN_COUNT } from './wait.js'
