import type { Clock } from "../clock/mod.ts";
import { Emitter } from "../events/mod.ts";
import type { BreakerOptions } from "./breaker_options.ts";
import {
  type BreakerSnapshot,
  type BreakerStateChange,
  CircuitBreaker,
} from "./circuit_breaker.ts";

/** One breaker per service, built from config, with their state changes in one stream. */
export class BreakerRegistry {
  readonly #breakers = new Map<string, CircuitBreaker>();
  readonly #changes = new Emitter<BreakerStateChange>();

  /** Builds a breaker for each service from its (already merged) options. */
  constructor(optionsByService: Readonly<Record<string, BreakerOptions>>, deps: { clock: Clock }) {
    for (const [service, options] of Object.entries(optionsByService)) {
      const breaker = new CircuitBreaker(service, options, deps);
      breaker.onStateChange((change) => this.#changes.emit(change));
      this.#breakers.set(service, breaker);
    }
  }

  /** The breaker of `service`; throws a RangeError naming the known services otherwise. */
  get(service: string): CircuitBreaker {
    const breaker = this.#breakers.get(service);
    if (!breaker) {
      throw new RangeError(
        `no circuit breaker for service "${service}": known services are ${
          [...this.#breakers.keys()].join(", ")
        }`,
      );
    }
    return breaker;
  }

  has(service: string): boolean {
    return this.#breakers.has(service);
  }

  /** Every breaker, in configuration order. */
  all(): CircuitBreaker[] {
    return [...this.#breakers.values()];
  }

  /** State changes of every breaker. */
  onStateChange(listener: (change: BreakerStateChange) => void): Disposable {
    return this.#changes.on(listener);
  }

  snapshots(): BreakerSnapshot[] {
    return this.all().map((breaker) => breaker.snapshot());
  }
}
