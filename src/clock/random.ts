/** A source of uniform numbers in `[0, 1)`, injected wherever jitter is drawn. */
export type Random = () => number;

/**
 * A seeded random source (mulberry32): the same seed gives the same sequence, so a run with
 * `--seed N` is reproducible.
 */
export function seededRandom(seed: number): Random {
  if (!Number.isInteger(seed)) {
    throw new RangeError(`seed must be an integer: got ${seed}`);
  }
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
