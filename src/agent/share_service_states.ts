import { getLogger } from "@logtape/logtape";
import type { BreakerRegistry, BreakerStateChange } from "../breaker/mod.ts";
import { type Clock, longestTimerMs } from "../clock/mod.ts";
import type { ServiceState, SharedState } from "../ledger/mod.ts";

const logger = getLogger(["ai-call-agent", "shared"]);

/** A probe's result, as the health checker announces it. */
interface ProbeResult {
  service: string;
  status: "healthy" | "unhealthy" | "unknown";
}

/** What the sharing needs besides the breakers and the shared ledger. */
export interface ServiceStateSharingDeps {
  clock: Clock;
  /** This process (its lease owner, `pid@host/start`). */
  owner: string;
  /** Time between two probes of a service (`health.intervalMs`). */
  probeIntervalMs: number;
}

/**
 * What one process learns about a service, every process sharing the ledger honours:
 *
 * - **An operator's forced opening** (on any process) holds the service open on every process,
 *   whatever its own breaker's state; no trial or probe anywhere ends it, a process started
 *   later reads it, and only an operator's close or reset (on any process) lets it go.
 * - **A hold learned from the service** (failures, a service-wide error, a long Retry-After)
 *   opens every process's breaker until the hold's end, and the hold lasts as long as any
 *   process still finds the service down: each failed probe or trial extends it by the longer
 *   of the recovery time and two probe intervals. The first process to find it up again (a
 *   trial that succeeded) lets it go for all.
 *
 * The shared record's rules live in `nextServiceState`. How soon others act: a request or probe
 * reads the shared states just before it is sent ({@link refresh}), so once one process has
 * published, no other sends a request it had not already started; between requests, the
 * states are read every second ({@link sync}) so idle processes and the status page follow.
 */
export class ServiceStateSharing implements Disposable {
  readonly #breakers: BreakerRegistry;
  readonly #shared: SharedState;
  readonly #deps: ServiceStateSharingDeps;
  /** Services whose change is being applied from another process (not published back). */
  readonly #applying = new Set<string>();
  /** The last state seen per service (by `by` and `at`), applied or published once. */
  readonly #seen = new Map<string, string>();
  /** Each service's shared state as last read. */
  readonly #latest = new Map<string, ServiceState>();
  /** Per service, how many states this process has published (a read that started before
   * the last of them may not show it: what it says of that service is older than this
   * process's own news, and is not applied). */
  readonly #published = new Map<string, number>();
  /** Per service, publications not yet in the ledger. */
  readonly #unconfirmed = new Map<string, number>();
  readonly #subscriptions: Disposable[];
  #publishing: Promise<void> = Promise.resolve();
  /** The read the next callers of {@link refresh} share, until it starts. */
  #nextRead: Promise<void> | undefined;

  constructor(breakers: BreakerRegistry, shared: SharedState, deps: ServiceStateSharingDeps) {
    this.#breakers = breakers;
    this.#shared = shared;
    this.#deps = deps;
    this.#subscriptions = [breakers.onStateChange((change) => this.#onLocalChange(change))];
  }

  /** Follows the health checker's probes: a process whose probe still finds a service down
   * keeps the hold on it for all. */
  followProbes(probes: { onCheck(listener: (result: ProbeResult) => void): Disposable }): void {
    this.#subscriptions.push(probes.onCheck((result) => {
      if (result.status !== "unhealthy" || !this.#breakers.has(result.service)) return;
      const breaker = this.#breakers.get(result.service);
      if (breaker.state === "OPEN" && !breaker.forced) {
        this.#hold(result.service, "its probe failed");
      }
    }));
  }

  [Symbol.dispose](): void {
    for (const subscription of this.#subscriptions) subscription[Symbol.dispose]();
  }

  /** Waits for publications in flight. */
  flush(): Promise<void> {
    return this.#publishing;
  }

  /**
   * Brings every breaker up to date with a read of the shared states that starts after this
   * call: what a request checks just before it is sent. Calls made together share one read.
   */
  refresh(): Promise<void> {
    this.#nextRead ??= Promise.resolve().then(() => {
      this.#nextRead = undefined; // who calls from now on needs a read that starts later
      return this.sync();
    });
    return this.#nextRead;
  }

  /** Reads what other processes published and applies what is new. */
  async sync(): Promise<void> {
    const publishedBefore = new Map(this.#published);
    let states: ServiceState[];
    try {
      states = await this.#shared.serviceStates();
    } catch (error) {
      logger.warning("Could not read the services' shared states: {error}", { error });
      return;
    }
    for (const state of states) {
      const stale = (this.#unconfirmed.get(state.service) ?? 0) > 0 ||
        this.#published.get(state.service) !== publishedBefore.get(state.service);
      if (stale) continue; // this read may predate what this process just published
      this.#latest.set(state.service, state);
      const id = `${state.by}\n${state.at}`;
      if (state.by === this.#deps.owner || this.#seen.get(state.service) === id) continue;
      this.#seen.set(state.service, id);
      if (!this.#breakers.has(state.service)) continue;
      this.#applying.add(state.service);
      try {
        this.#apply(state);
      } finally {
        this.#applying.delete(state.service);
      }
    }
  }

  /** Whether another process holds `service` down now (forced, or a hold of its own): its
   * probes decide for all, so this one need not probe. */
  heldElsewhere(service: string): boolean {
    const state = this.#latest.get(service);
    return state !== undefined && state.by !== this.#deps.owner &&
      (state.forced || state.openUntil > this.#deps.clock.now());
  }

  #apply(state: ServiceState): void {
    const breaker = this.#breakers.get(state.service);
    const now = this.#deps.clock.now();
    if (state.forced) {
      if (!breaker.forced) {
        breaker.forceOpen(
          `forced open by an operator on ${state.by}: ${state.reason}`,
          { by: state.by, at: state.at },
        );
      }
    } else if (state.openUntil > now) {
      // Also when this breaker is already OPEN on its own: the hold can only make it longer.
      breaker.pauseFor(state.openUntil - now, `another agent found it down: ${state.reason}`);
    } else if (state.openUntil === 0 && breaker.state !== "CLOSED") {
      breaker.reset(
        breaker.forced
          ? `an operator let it go on ${state.by}: ${state.reason}`
          : `another agent found it up again: ${state.reason}`,
      );
    }
  }

  #onLocalChange(change: BreakerStateChange): void {
    if (this.#applying.has(change.service)) return;
    if (change.to === "HALF_OPEN") return; // a trial is this process's own business
    if (change.forced) {
      const state = { ...this.#state(change.service, 0, change.reason), forced: true };
      return this.#publish(state, true);
    }
    if (change.to === "OPEN") return this.#hold(change.service, change.reason);
    // CLOSED: an operator's reset lets every hold go, a forced one included; a trial that
    // succeeded ends a hold learned from the service.
    this.#publish(this.#state(change.service, 0, change.reason), change.operator);
  }

  /** Holds the service open for all, for as long as this process's breaker waits and at
   * least until this process's next probe could find it up. */
  #hold(service: string, reason: string): void {
    const breaker = this.#breakers.get(service);
    const ms = Math.max(
      breaker.remainingMs(),
      breaker.options.recoveryTimeoutMs,
      2 * this.#deps.probeIntervalMs,
    );
    const now = this.#deps.clock.now();
    this.#publish(this.#state(service, now + Math.min(ms, longestTimerMs), reason), false);
  }

  #state(service: string, openUntil: number, reason: string): ServiceState {
    return {
      service,
      openUntil,
      forced: false,
      reason,
      by: this.#deps.owner,
      at: this.#deps.clock.now(),
    };
  }

  #publish(state: ServiceState, operator: boolean): void {
    const { service } = state;
    this.#seen.set(service, `${state.by}\n${state.at}`);
    this.#published.set(service, (this.#published.get(service) ?? 0) + 1);
    this.#unconfirmed.set(service, (this.#unconfirmed.get(service) ?? 0) + 1);
    this.#publishing = this.#publishing.then(() =>
      this.#shared.publishServiceState(state, { operator })
    ).catch((error) =>
      logger.warning("Could not share {service}'s state: {error}", { service, error })
    ).finally(() => this.#unconfirmed.set(service, this.#unconfirmed.get(service)! - 1));
  }
}
