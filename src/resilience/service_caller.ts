import type { BreakerRegistry } from "../breaker/mod.ts";
import { type Clock, withTimeout } from "../clock/mod.ts";
import { TimeoutError } from "../errors.ts";
import type { CallContext, RetryPolicy } from "../retry/mod.ts";
import { Emitter } from "../events/mod.ts";
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

/** Announced when one attempt at a service ends: for latency histograms and call counts. */
export interface AttemptEnd {
  service: string;
  durationMs: number;
  /** `success`, or the class of the error it ended with. */
  outcome: string;
}

/**
 * Calls a named service through its timeout, breaker and retry, all built from config and
 * shared by every caller.
 */
export class ServiceCaller {
  readonly #policies: Readonly<Record<string, ServiceCallPolicy>>;
  readonly #breakers: BreakerRegistry;
  readonly #clock: Clock;
  readonly #attempts = new Emitter<AttemptEnd>();

  constructor(
    policies: Readonly<Record<string, ServiceCallPolicy>>,
    breakers: BreakerRegistry,
    deps: { clock: Clock },
  ) {
    this.#policies = policies;
    this.#breakers = breakers;
    this.#clock = deps.clock;
  }

  /** Subscribes to the end of every attempt that reached the service. */
  onAttemptEnd(listener: (event: AttemptEnd) => void): Disposable {
    return this.#attempts.on(listener);
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
    const attempt = async (signal?: AbortSignal) => {
      const started = this.#clock.now();
      try {
        const result = await withTimeout(
          this.#clock,
          timeoutMs,
          fn,
          () => new TimeoutError({ service, timeoutMs }),
          signal,
        );
        this.#ended(service, started, "success");
        return result;
      } catch (error) {
        this.#ended(service, started, error instanceof Error ? error.name : "unknown");
        throw error;
      }
    };
    return resilientCall(
      retry,
      breaker,
      (_attempt, signal) =>
        bulkhead ? bulkhead.run(() => attempt(signal), signal) : attempt(signal),
      { signal: options.signal, context: { service, ...options.context } },
    );
  }

  #ended(service: string, started: number, outcome: string): void {
    if (this.#attempts.hasListeners) {
      this.#attempts.emit({ service, durationMs: this.#clock.now() - started, outcome });
    }
  }
}
