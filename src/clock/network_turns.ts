import type { Clock } from "./clock.ts";

/**
 * Turns of the event loop in which the network is served, shared by the pieces of work that
 * could hold the loop: a call returns at once while less than a slice (`everyMs`) of work has
 * passed since the last turn, and waits for the next turn (a 1 ms timer, one for all callers)
 * otherwise. The callers waiting go on in the order they came, each checking again once the
 * one before it has run to its next wait, so a wave of work goes in slices with the status
 * server answered between them. A timer, not `clock.sleep(0)`: after an immediate turn Deno
 * ran the next slice before the status server's pending requests (its I/O is polled when the
 * loop has nothing to run, or every few dozen turns), which waited 100 to 300 ms.
 *
 * A turn costs the loop 1-2 ms, so work whose steps are small anyway (a campaign of few
 * workers) should not pay it: made `whenCrowded`, the turns are only taken for a second after
 * the work said the loop was crowded ({@link NetworkTurns.crowded}: a commit that found more
 * writes than it takes at once, a thousand calls that ended together).
 */
export interface NetworkTurns {
  (): Promise<void>;
  /** The loop is crowded now: callers take turns for the next second. */
  crowded(): void;
}

export function networkTurns(
  clock: Clock,
  options: { everyMs?: number; whenCrowded?: boolean } = {},
): NetworkTurns {
  const everyMs = options.everyMs ?? 20;
  let sliceStart = clock.now();
  let crowdedUntil = options.whenCrowded ? -Infinity : Infinity;
  let turn: Promise<void> | undefined;
  const waiting: (() => void)[] = [];
  const due = () => clock.now() - sliceStart >= everyMs && clock.now() < crowdedUntil;
  const takeTurn = () => {
    turn ??= clock.sleep(1).then(() => {
      turn = undefined;
      sliceStart = clock.now();
      letNextGo();
    });
  };
  // One waiter goes on; the next is looked at once the one before has run to its next wait
  // (a microtask queued after its own).
  const letNextGo = () => {
    if (waiting.length === 0) return;
    if (due()) return takeTurn();
    waiting.shift()!();
    queueMicrotask(letNextGo);
  };
  const turns = (): Promise<void> => {
    if (waiting.length === 0 && !due()) return Promise.resolve();
    return new Promise<void>((goOn) => {
      waiting.push(goOn);
      if (waiting.length === 1 && !turn) {
        if (due()) takeTurn();
        else queueMicrotask(letNextGo);
      }
    });
  };
  return Object.assign(turns, {
    crowded() {
      if (options.whenCrowded) crowdedUntil = clock.now() + crowdedForMs;
    },
  });
}

/** How long the turns are taken after the work last said the loop was crowded. */
const crowdedForMs = 1_000;
