/**
 * Something outside a retry loop that can tell it to stop, such as the service's breaker
 * opening. Only consulted on the failure path, so a first-try success costs nothing.
 */
export interface RetryHalt {
  /** The error to stop with now, or undefined to go on. */
  check(): Error | undefined;
  /** Calls `stop` with the error when the loop must stop while it waits. */
  subscribe(stop: (error: Error) => void): Disposable;
}
