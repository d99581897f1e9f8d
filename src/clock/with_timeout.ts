import type { Clock } from "./clock.ts";

/**
 * Runs `task` with a deadline on `clock`. The task receives a signal that aborts when the
 * deadline passes or `signal` aborts; the promise then rejects with `onTimeout()` or the
 * caller's reason, without waiting for a task that ignores its signal.
 */
export async function withTimeout<T>(
  clock: Clock,
  timeoutMs: number,
  task: (signal: AbortSignal) => Promise<T>,
  onTimeout: () => Error,
  signal?: AbortSignal,
): Promise<T> {
  signal?.throwIfAborted();
  const controller = new AbortController();
  const timerStop = new AbortController();
  const onCallerAbort = () => controller.abort(signal!.reason);
  signal?.addEventListener("abort", onCallerAbort, { once: true });
  const deadline = clock.sleep(timeoutMs, timerStop.signal).then(
    () => {
      const error = onTimeout();
      controller.abort(error);
      throw error;
    },
    () => {},
  );
  const aborted = new Promise<never>((_, reject) => {
    controller.signal.addEventListener("abort", () => reject(controller.signal.reason), {
      once: true,
    });
  });
  aborted.catch(() => {});
  try {
    return await Promise.race([task(controller.signal), aborted, deadline as Promise<never>]);
  } finally {
    timerStop.abort();
    signal?.removeEventListener("abort", onCallerAbort);
  }
}
