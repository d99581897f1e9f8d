import type { Clock } from "../clock/mod.ts";
import { RecentMap } from "../collections/mod.ts";
import type { CallState } from "../services/mod.ts";

/**
 * Call status changes the provider pushed (status callbacks), handed to whoever follows that
 * call: a follower sleeps until its call changes or its poll is due, whichever comes first.
 * Also remembers which call each dial's marker belongs to, so a dial whose answer was lost
 * can adopt the call a callback already named.
 */
export class CallUpdates {
  /** The most recent callbacks (at least `keep`, at most twice that): of calls nobody follows
   * too, so the oldest are forgotten. */
  readonly #latest: RecentMap<string, CallState>;
  /** Followers waiting for news, by `sid:<sid>` or `marker:<marker>`. */
  readonly #waiters = new Map<string, Set<() => void>>();
  readonly #byMarker: RecentMap<string, string>;
  /** Calls on which the person pressed the opt-out key. */
  readonly #optedOut: RecentMap<string, true>;
  readonly #clock: Clock;

  constructor(clock: Clock, keep = 10_000) {
    this.#clock = clock;
    this.#latest = new RecentMap(keep);
    this.#byMarker = new RecentMap(keep);
    this.#optedOut = new RecentMap(keep);
  }

  /** How long the provider last said it held a call in its queue, and when (clock time). */
  #queued: { ms: number; at: number } | undefined;

  /** Records how long the provider held a call in its queue (Twilio's `queue_time`). */
  noteQueueTime(ms: number): void {
    this.#queued = { ms, at: this.#clock.now() };
  }

  /** The provider's queue time last reported, if within the last minute: above a second, the
   * account's calls per second are what holds calls up. */
  queueTimeMs(): number | undefined {
    const queued = this.#queued;
    return queued && this.#clock.now() - queued.at <= 60_000 ? queued.ms : undefined;
  }

  /** Records that the person on call `sid` pressed the opt-out key. */
  optOut(sid: string): void {
    this.#optedOut.set(sid, true);
  }

  /** Whether the person on call `sid` pressed the opt-out key (as this process heard it). */
  optedOut(sid: string): boolean {
    return this.#optedOut.get(sid) === true;
  }

  /** Records what a callback said about a call. */
  publish(state: CallState, marker?: string): void {
    this.#latest.set(state.sid, state);
    this.#wake(`sid:${state.sid}`);
    if (marker) {
      this.#byMarker.set(marker, state.sid);
      this.#wake(`marker:${marker}`);
    }
  }

  #wake(key: string): void {
    const waiters = this.#waiters.get(key);
    this.#waiters.delete(key);
    for (const wake of waiters ?? []) wake();
  }

  /** The call a dial's marker named in a callback, if one came. */
  sidOf(marker: string): string | undefined {
    return this.#byMarker.get(marker);
  }

  /** The last pushed state of `sid`, if any. */
  latest(sid: string): CallState | undefined {
    return this.#latest.get(sid);
  }

  /** Waits up to `ms` for news of `sid`: resolves with the pushed state when some came, or
   * undefined when the time ran out first. Rejects when `signal` aborts. */
  async wait(sid: string, ms: number, signal?: AbortSignal): Promise<CallState | undefined> {
    return await this.#waitFor(`sid:${sid}`, ms, signal) ? this.#latest.get(sid) : undefined;
  }

  /** Waits up to `ms` for a callback naming `marker` (a lost dial's call showing itself):
   * resolves with the call's sid when one came, or undefined when the time ran out first.
   * Rejects when `signal` aborts. */
  async waitForMarker(
    marker: string,
    ms: number,
    signal?: AbortSignal,
  ): Promise<string | undefined> {
    const known = this.#byMarker.get(marker);
    if (known) return known;
    return await this.#waitFor(`marker:${marker}`, ms, signal)
      ? this.#byMarker.get(marker)
      : undefined;
  }

  /** Whether news under `key` came within `ms`. */
  async #waitFor(key: string, ms: number, signal?: AbortSignal): Promise<boolean> {
    const woken = new AbortController();
    let news = false;
    const wake = () => {
      news = true;
      woken.abort();
    };
    let waiters = this.#waiters.get(key);
    if (!waiters) this.#waiters.set(key, waiters = new Set());
    waiters.add(wake);
    const onAbort = () => woken.abort(signal!.reason);
    signal?.addEventListener("abort", onAbort, { once: true });
    try {
      await this.#clock.sleep(ms, woken.signal);
    } catch (reason) {
      if (signal?.aborted) throw signal.reason;
      void reason;
    } finally {
      signal?.removeEventListener("abort", onAbort);
      waiters.delete(wake);
      if (waiters.size === 0 && this.#waiters.get(key) === waiters) this.#waiters.delete(key);
    }
    return news;
  }
}
