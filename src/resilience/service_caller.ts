import type { BreakerRegistry } from "../breaker/mod.ts";
import { type Clock, withTimeout } from "../clock/mod.ts";
import { TimeoutError } from "../errors.ts";
import type { CallContext, RetryPolicy } from "../retry/mod.ts";
import type { Bulkhead } from "./bulkhead.ts";
import { resilientCall } from "./resilient_call.ts";

/** How one service is called: its retry policy, per-attempt deadline and bulkhead. */
export interface ServiceCallPolicy {
  retry: RetryPolicy;
  /** Deadline of one attempt (not counting the wait for a bulkhead slot). */
  timeoutMs: number;
  /** Limits calls in flight to the service across all callers. */
  bulkhead?: Bulkhead;
}

/**
 * Calls a named service through its timeout, breaker and retry, all built from config and
 * shared by every caller.
 */
export class ServiceCaller {
  readonly #policies: Readonly<Record<string, ServiceCallPolicy>>;
  readonly #breakers: BreakerRegistry;
  readonly #clock: Clock;

  constructor(
    policies: Readonly<Record<string, ServiceCallPolicy>>,
    breakers: BreakerRegistry,
    deps: { clock: Clock },
  ) {
    this.#policies = policies;
    this.#breakers = breakers;
    this.#clock = deps.clock;
  }

  /** The policy of `service`; throws a RangeError naming the known services otherwise. */
  policy(service: string): ServiceCallPolicy {
    const policy = this.#policies[service];
    if (!policy) {
      throw new RangeError(
        `no call policy for service "${service}": known services are ${
          Object.keys(this.#policies).join(", ")
        }`,
      );
    }
    return policy;
  }

  /** Calls `fn` against `service`; `fn` gets a signal that aborts at the attempt's deadline. */
  call<T>(
    service: string,
    fn: (signal: AbortSignal) => Promise<T>,
    options: { signal?: AbortSignal; context?: CallContext } = {},
  ): Promise<T> {
    const { retry, timeoutMs, bulkhead } = this.policy(service);
    const breaker = this.#breakers.get(service);
    const attempt = (signal?: AbortSignal) =>
      withTimeout(
        this.#clock,
        timeoutMs,
        fn,
        () => new TimeoutError({ service, timeoutMs }),
        signal,
      );
    return resilientCall(
      retry,
      breaker,
      (_attempt, signal) =>
        bulkhead ? bulkhead.run(() => attempt(signal), signal) : attempt(signal),
      { signal: options.signal, context: { service, ...options.context } },
    );
  }
}
