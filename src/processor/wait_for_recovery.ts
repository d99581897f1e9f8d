import type { CircuitBreaker } from "../breaker/mod.ts";
import type { Clock } from "../clock/mod.ts";

/**
 * Resolves with the breakers that let calls through again (not OPEN: HALF_OPEN admits a
 * trial) as soon as there is at least one, or with none when `timeoutMs` passes first.
 * Rejects if `signal` aborts.
 */
export async function waitForRecovery(
  breakers: readonly CircuitBreaker[],
  timeoutMs: number,
  deps: { clock: Clock; signal?: AbortSignal },
): Promise<CircuitBreaker[]> {
  const recovered = () => breakers.filter((breaker) => breaker.state !== "OPEN");
  if (recovered().length > 0) return recovered();
  const controller = new AbortController();
  const onAbort = () => controller.abort(deps.signal!.reason);
  deps.signal?.addEventListener("abort", onAbort, { once: true });
  const recoveredMark = Symbol("recovered");
  const subscriptions = breakers.map((breaker) =>
    breaker.onStateChange(() => {
      if (recovered().length > 0) controller.abort(recoveredMark);
    })
  );
  try {
    await deps.clock.sleep(timeoutMs, controller.signal);
    return recovered();
  } catch (reason) {
    if (reason === recoveredMark) return recovered();
    throw reason;
  } finally {
    for (const subscription of subscriptions) subscription[Symbol.dispose]();
    deps.signal?.removeEventListener("abort", onAbort);
  }
}
