/** The longest delay a timer (`setTimeout`) holds, about 24.8 days; a longer one fires at once. */
export const longestTimerMs = 2_147_483_647;

/** Time, injected: everything that waits takes a {@link Clock}. */
export interface Clock {
  /** Milliseconds since an arbitrary epoch (the Unix epoch for the system clock). */
  now(): number;
  /**
   * Resolves after `ms` milliseconds; rejects with `signal.reason` as soon as the signal aborts.
   * A non-positive `ms` still yields once.
   */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** Throws the signal's reason when it has already aborted. */
export function throwIfAborted(signal?: AbortSignal): void {
  if (signal?.aborted) throw signal.reason;
}
