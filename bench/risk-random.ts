/** Deterministic pseudo-random integers (xorshift32) for the risk benches: every run scores the same data. */
export function seededIntegers(seed = 2463534242): (lo: number, hi: number) => number {
  let state = seed;
  return (lo, hi) => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return lo + ((state >>> 0) % (hi - lo + 1));
  };
}
