import type { Clock } from "./clock.ts";

/**
 * Turns of the event loop in which the network is served, for a long piece of work that yields
 * between its slices (a load's batches): each call sleeps a timer's turn (1 ms) if `everyMs` have
 * passed since the last, and returns at once otherwise. A timer, not `clock.sleep(0)`: after an
 * immediate turn Deno ran the next slice before the status server's pending requests, which
 * waited 100 to 300 ms through a long load; a timer at every slice would add its 1-4 ms each.
 */
export function networkTurns(clock: Clock, everyMs = 20): () => Promise<void> {
  let last = clock.now();
  return async () => {
    if (clock.now() - last < everyMs) return;
    await clock.sleep(1);
    last = clock.now();
  };
}
