/**
 * The ring's state word, shared by both sides. Either side may close or fault the ring;
 * a fault overrides a close, and nothing reopens a ring.
 */
import { RING_CLOSED, RING_FAULTED, RING_OPEN, kReaderWaiting, kState, kWriterWaiting, type RingState } from './layout.js'
import { wakeAll } from './wait.js'

export function loadState (i32: Int32Array): RingState {
  return Atomics.load(i32, kState) as RingState
}

/** OPEN → CLOSED; a no-op on a ring already closed or faulted. */
export function closeRing (i32: Int32Array): void {
  // compareExchange so a close racing a fault on the other thread cannot overwrite FAULTED.
  // The state store precedes the wake below, so a woken side's poll sees it.
  Atomics.compareExchange(i32, kState, RING_OPEN, RING_CLOSED)
  wakeAll(i32, kReaderWaiting, kWriterWaiting)
}

/** Any state → FAULTED, then wakes both sides so neither sleeps on a dead peer. */
export function faultRing (i32: Int32Array): void {
  // Publishes the fault before the flags are cleared: a sleeper woken (or refused sleep)
  // by wakeAll polls the state next and sees FAULTED.
  Atomics.store(i32, kState, RING_FAULTED)
  wakeAll(i32, kReaderWaiting, kWriterWaiting)
}
