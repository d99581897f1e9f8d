import { getLogger } from "@logtape/logtape";
import type { BreakerRegistry } from "../breaker/mod.ts";
import { type Clock, longestTimerMs } from "../clock/mod.ts";
import type { ServiceState, SharedState } from "../ledger/mod.ts";

const logger = getLogger(["ai-call-agent", "shared"]);

/**
 * What one process learns about a service, every process sharing the ledger learns. When this
 * process's breaker opens (failures, a service-wide error, a long Retry-After, an operator),
 * it publishes the service as open until its breaker's recovery time, with the reason; when
 * its breaker closes (a trial succeeded, an operator), it publishes that too. Every
 * `intervalMs` it reads what the others published: a service another process found down
 * opens this breaker until that time (contacts defer instead of each process paying its own
 * three failures); one another process found up again closes it. Each process's own breaker
 * still guards its own calls and judges its own failures.
 */
export class ServiceStateSharing implements Disposable {
  readonly #breakers: BreakerRegistry;
  readonly #shared: SharedState;
  readonly #clock: Clock;
  readonly #owner: string;
  /** Services whose change is being applied from another process (not published back). */
  readonly #applying = new Set<string>();
  /** The last state seen per service (by `by` and `at`), applied or published once. */
  readonly #seen = new Map<string, string>();
  readonly #subscription: Disposable;
  #publishing: Promise<void> = Promise.resolve();

  constructor(
    breakers: BreakerRegistry,
    shared: SharedState,
    deps: { clock: Clock; owner: string },
  ) {
    this.#breakers = breakers;
    this.#shared = shared;
    this.#clock = deps.clock;
    this.#owner = deps.owner;
    this.#subscription = breakers.onStateChange((change) => {
      if (this.#applying.has(change.service)) return;
      if (change.to === "HALF_OPEN") return; // a trial is this process's own business
      const now = this.#clock.now();
      const breaker = this.#breakers.get(change.service);
      const state: ServiceState = {
        service: change.service,
        openUntil: change.to === "OPEN" ? now + Math.min(breaker.remainingMs(), longestTimerMs) : 0,
        reason: change.reason,
        by: this.#owner,
        at: now,
      };
      this.#seen.set(state.service, `${state.by}\n${state.at}`);
      this.#publishing = this.#publishing.then(() => this.#shared.publishServiceState(state))
        .catch((error) =>
          logger.warning("Could not share {service}'s state: {error}", {
            service: state.service,
            error,
          })
        );
    });
  }

  [Symbol.dispose](): void {
    this.#subscription[Symbol.dispose]();
  }

  /** Waits for publications in flight. */
  flush(): Promise<void> {
    return this.#publishing;
  }

  /** Reads what other processes published and applies what is new. */
  async sync(): Promise<void> {
    let states: ServiceState[];
    try {
      states = await this.#shared.serviceStates();
    } catch (error) {
      logger.warning("Could not read the services' shared states: {error}", { error });
      return;
    }
    const now = this.#clock.now();
    for (const state of states) {
      const id = `${state.by}\n${state.at}`;
      if (state.by === this.#owner || this.#seen.get(state.service) === id) continue;
      this.#seen.set(state.service, id);
      if (!this.#breakers.has(state.service)) continue;
      const breaker = this.#breakers.get(state.service);
      this.#applying.add(state.service);
      try {
        if (state.openUntil > now && breaker.state !== "OPEN") {
          breaker.pauseFor(state.openUntil - now, `another agent found it down: ${state.reason}`);
        } else if (
          state.openUntil === 0 && breaker.state !== "CLOSED" && !breaker.snapshot().forced
        ) {
          breaker.reset(`another agent found it up again: ${state.reason}`);
        }
      } finally {
        this.#applying.delete(state.service);
      }
    }
  }
}
