import type { CircuitBreaker } from "../breaker/mod.ts";
import type { Clock } from "../clock/mod.ts";

/**
 * Resolves `true` once none of `breakers` is OPEN (HALF_OPEN lets a trial through), or
 * `false` when `timeoutMs` passes first. Rejects if `signal` aborts.
 */
export async function waitForRecovery(
  breakers: readonly CircuitBreaker[],
  timeoutMs: number,
  deps: { clock: Clock; signal?: AbortSignal },
): Promise<boolean> {
  const allLetThrough = () => breakers.every((breaker) => breaker.state !== "OPEN");
  if (allLetThrough()) return true;
  const controller = new AbortController();
  const onAbort = () => controller.abort(deps.signal!.reason);
  deps.signal?.addEventListener("abort", onAbort, { once: true });
  const subscriptions = breakers.map((breaker) =>
    breaker.onStateChange(() => {
      if (allLetThrough()) controller.abort("recovered");
    })
  );
  try {
    await deps.clock.sleep(timeoutMs, controller.signal);
    return allLetThrough();
  } catch (reason) {
    if (reason === "recovered") return true;
    throw reason;
  } finally {
    for (const subscription of subscriptions) subscription[Symbol.dispose]();
    deps.signal?.removeEventListener("abort", onAbort);
  }
}
