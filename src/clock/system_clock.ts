import { clearImmediate, setImmediate } from "node:timers";
import { type Clock, longestTimerMs } from "./clock.ts";

/**
 * The real clock: `Date.now()` and `setTimeout`, cleared when the signal aborts. A wait longer
 * than a timer can hold is slept in turns. A wait of no time is one turn of the event loop
 * (`setImmediate`), not a timer: a `setTimeout(0)` called from a timer's callback is held back
 * to 1-4 ms (the timers' nesting rule), so a loop that yields with it would idle.
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
      cancel();
      reject(signal!.reason);
    };
    const fire = () => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    };
    let cancel: () => void;
    if (ms > 0) {
      const id = setTimeout(fire, ms);
      cancel = () => clearTimeout(id);
    } else {
      const id = setImmediate(fire);
      cancel = () => clearImmediate(id);
    }
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
