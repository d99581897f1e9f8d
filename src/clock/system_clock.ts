import { type Clock, longestTimerMs } from "./clock.ts";

/**
 * The real clock: `Date.now()` and `setTimeout`, cleared when the signal aborts. A wait longer
 * than a timer can hold is slept in turns.
 */
export const systemClock: Clock = {
  now: () => Date.now(),
  async sleep(ms: number, signal?: AbortSignal): Promise<void> {
    while (ms > longestTimerMs) {
      await timer(longestTimerMs, signal);
      ms -= longestTimerMs;
    }
    return timer(ms, signal);
  },
};

function timer(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(id);
      reject(signal!.reason);
    };
    const id = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, Math.max(0, ms));
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
