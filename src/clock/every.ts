import type { Clock } from "./clock.ts";

/** A task {@link every} runs, and how to hurry it. */
export interface Periodic {
  /** Settles when the loop ends: `signal` aborted (resolves) or a tick threw (rejects). */
  readonly done: Promise<void>;
  /** Runs the next tick now instead of at its time (a queue filled up, say). */
  wake(): void;
}

/**
 * The one periodic loop: runs `tick` every `intervalMs` on `clock` until `signal` aborts, at a
 * fixed rate (a slow tick does not push every later one back; one slower than the interval is
 * followed at once by the next). The first tick runs at once with `startNow`, else one interval
 * in. A tick is never cut short: the loop ends after the tick under way.
 */
export function every(
  clock: Clock,
  intervalMs: number,
  tick: () => unknown,
  options: { signal: AbortSignal; startNow?: boolean },
): Periodic {
  const { signal } = options;
  let sleeping: AbortController | undefined;
  let woken = false;
  const done = (async () => {
    let next = clock.now() + (options.startNow ? 0 : intervalMs);
    while (!signal.aborted) {
      const wait = next - clock.now();
      if (wait > 0 && !woken) {
        const sleep = new AbortController();
        sleeping = sleep;
        const stop = () => sleep.abort();
        signal.addEventListener("abort", stop, { once: true });
        try {
          await clock.sleep(wait, sleep.signal);
        } catch {
          // woken early, or stopping
        } finally {
          signal.removeEventListener("abort", stop);
          sleeping = undefined;
        }
        if (signal.aborted) return;
      }
      woken = false;
      const started = clock.now();
      await tick();
      next = started + intervalMs;
    }
  })();
  return {
    done,
    wake() {
      woken = true;
      sleeping?.abort();
    },
  };
}
