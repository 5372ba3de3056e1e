/** A small seeded generator (xorshift32), so a failing random test can be replayed. */
export function xorshift (seed: number): () => number {
  let s = seed >>> 0 || 1
  return () => {
    s ^= s << 13; s >>>= 0
    s ^= s >>> 17
    s ^= s << 5; s >>>= 0
    return s
  }
}
