import type { BreakerRegistry, CircuitBreaker } from "../breaker/mod.ts";
import type { Clock } from "../clock/mod.ts";
import type { CampaignStore } from "../ledger/mod.ts";
import { scheduledDeferrals } from "./contact_result.ts";

/** Longest wait, where processes share the ledger, before looking at it again. */
export const sharedLedgerPollMs = 1_000;

/** Announced when deferred contacts are taken again. */
export interface ReleasedEvent {
  type: "released";
  service: string;
  contacts: number;
  breakerState: string;
}

/** What deferred contacts are judged by. */
export interface DeferredContactsDeps {
  store: CampaignStore;
  breakers: BreakerRegistry;
  clock: Clock;
  /** Each service with a fallback chain, and its links' service names, the primary first. */
  chains?: Readonly<Record<string, readonly string[]>>;
}

/**
 * A campaign's deferred contacts: which may be taken again now (their time has come and
 * their service's breaker lets calls through), and waiting until one may.
 */
export class DeferredContacts {
  readonly #campaign: string;
  readonly #deadline?: number;
  readonly #deps: DeferredContactsDeps;
  readonly #onReleased: (event: ReleasedEvent) => void;
  /** Clock time {@link releaseDue} last looked at what was due. */
  #releasedAt?: number;

  constructor(
    campaign: string,
    deadline: number | undefined,
    deps: DeferredContactsDeps,
    onReleased: (event: ReleasedEvent) => void,
  ) {
    this.#campaign = campaign;
    this.#deadline = deadline;
    this.#deps = deps;
    this.#onReleased = onReleased;
  }

  /** The breakers that may take a contact deferred on `service`: its chain's, when it has
   * one (a contact waits for the primary, and any link that lets calls through serves it). */
  #breakersFor(service: string): CircuitBreaker[] {
    const links = this.#deps.chains?.[service] ?? [service];
    return links.filter((name) => this.#deps.breakers.has(name)).map((name) =>
      this.#deps.breakers.get(name)
    );
  }

  /** Moves deferred contacts whose time has come back to pending, for breakers that let
   * calls through; returns how many. */
  async releaseDue(services: readonly string[]): Promise<number> {
    const { store, clock, breakers } = this.#deps;
    this.#releasedAt = clock.now();
    let released = 0;
    for (const service of services) {
      // Deferrals that wait for a time, not a breaker (calling hours, a redial, a number in use).
      if (scheduledDeferrals.has(service) || !breakers.has(service)) {
        const count = await store.releaseDeferred(this.#campaign, service, clock.now());
        if (count > 0) {
          this.#onReleased({ type: "released", service, contacts: count, breakerState: "none" });
        }
        released += count;
        continue;
      }
      const links = this.#breakersFor(service);
      const closed = links.some((breaker) => breaker.state === "CLOSED");
      const halfOpen = links.filter((breaker) => breaker.state === "HALF_OPEN");
      if (!closed && halfOpen.length === 0) continue;
      // HALF_OPEN gets only as many contacts as it has trial slots: the rest would be
      // refused and go straight back.
      const limit = closed
        ? -1
        : halfOpen.reduce((sum, breaker) => sum + breaker.options.halfOpenMaxCalls, 0);
      const state = closed ? "CLOSED" : "HALF_OPEN";
      const count = await store.releaseDeferred(
        this.#campaign,
        service,
        clock.now(),
        limit,
      );
      if (count > 0) {
        this.#onReleased({ type: "released", service, contacts: count, breakerState: state });
      }
      released += count;
    }
    return released;
  }

  /**
   * Waits until something may let a deferred contact go again: a breaker change, the
   * earliest deferral's time, a breaker's recovery time (when no probe is needed), the
   * deadline, or `maxMs`. Rejects when `signal` aborts.
   */
  async waitForChange(
    services: readonly string[],
    maxMs: number,
    signal?: AbortSignal,
  ): Promise<void> {
    const { store, clock, breakers } = this.#deps;
    const watched = services.filter((service) =>
      !scheduledDeferrals.has(service) && breakers.has(service)
    ).flatMap((service) => this.#breakersFor(service));
    // Listening starts before anything is awaited: a breaker that changes while the ledger is
    // asked for the next deferral's time still wakes this wait.
    const controller = new AbortController();
    const onAbort = () => controller.abort(signal!.reason);
    signal?.addEventListener("abort", onAbort, { once: true });
    const changed = Symbol("changed");
    const subscriptions = watched.map((breaker) =>
      breaker.onStateChange(() => controller.abort(changed))
    );
    try {
      const now = clock.now();
      const times = [
        now + maxMs,
        // After the time due contacts were last released, not after now: one whose time came
        // in between (a redial, calling hours opening) wakes this wait at once instead of
        // being passed over until something else happens.
        await store.nextDeferredAt(this.#campaign, this.#releasedAt ?? now) ?? Infinity,
        ...watched.map((breaker) => now + lazyRecoveryMs(breaker)),
        this.#deadline ?? Infinity,
        // Where processes share the ledger, another may be releasing the contacts this one
        // found due (their rows locked for a moment), or change what is due: look again soon.
        store.shared ? now + sharedLedgerPollMs : Infinity,
      ];
      const wake = Math.max(now, Math.min(...times));
      await clock.sleep(wake - clock.now(), controller.signal);
    } catch (reason) {
      if (reason !== changed) throw reason;
    } finally {
      for (const subscription of subscriptions) subscription[Symbol.dispose]();
      signal?.removeEventListener("abort", onAbort);
    }
  }
}

/** Time until an OPEN breaker turns HALF_OPEN on its own (no probe needed); Infinity when a
 * probe or an operator decides. */
function lazyRecoveryMs(breaker: CircuitBreaker): number {
  if (breaker.options.halfOpenRequiresHealthyProbe) return Infinity;
  return breaker.remainingMs();
}
