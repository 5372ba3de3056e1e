/**
 * The send time a latency run puts in the first 8 bytes of each record's value: the monotonic
 * clock (process.hrtime) in nanoseconds, as a float64. That clock is the same in every thread
 * and process of the machine, so a producer thread and a consumer can compare stamps.
 * Nanoseconds since boot stay exact in a float64 for 104 days of uptime.
 */

export const STAMP_BYTES = 8

export function writeStamp (value: Buffer): void {
  value.writeDoubleLE(Number(process.hrtime.bigint()), 0)
}

/** Microseconds since the stamp in `value` was written. */
export function readStamp (value: Buffer): number {
  return (Number(process.hrtime.bigint()) - value.readDoubleLE(0)) / 1000
}
