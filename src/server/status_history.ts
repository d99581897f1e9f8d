import type { AgentEvent } from "../agent/mod.ts";
import type { BreakerState } from "../breaker/mod.ts";
import type { Emitter } from "../events/mod.ts";

/** A stretch of time a breaker stayed in one state. */
export interface BreakerBand {
  from: number;
  to: number;
  state: BreakerState;
}

/** One service's attempts in one bucket: their latency and how they ended. */
export interface ServiceBucket {
  /** The bucket's start (clock ms). */
  t: number;
  /** Latency percentiles of the attempts that reached the service, in ms (bucket upper
   * bounds of a histogram: within 12% above the true value). */
  p50: number;
  p95: number;
  success: number;
  failure: number;
}

/** The campaign's contact outcomes in one bucket. */
export interface CampaignBucket {
  t: number;
  completed: number;
  deferred: number;
  failed: number;
  skipped: number;
}

/** What the dashboard draws: the window's bounds, and per service and for the campaign what
 * happened in it. Times are clock ms. */
export interface HistorySeries {
  from: number;
  to: number;
  bucketMs: number;
  services: { service: string; bands: BreakerBand[]; buckets: ServiceBucket[] }[];
  campaign: CampaignBucket[];
}

/** How much history is kept, and in what steps. */
export interface HistoryOptions {
  /** @default one hour */
  windowMs?: number;
  /** @default 10 s */
  bucketMs?: number;
}

/** Latency histogram bounds: 1 ms up, each 12% above the last, to about 10 minutes. */
const latencyBounds: readonly number[] = (() => {
  const bounds: number[] = [];
  for (let bound = 1; bound < 600_000; bound *= 1.12) bounds.push(Math.ceil(bound));
  return [...new Set(bounds), Infinity];
})();

function boundIndex(ms: number): number {
  let low = 0;
  let high = latencyBounds.length - 1;
  while (low < high) {
    const mid = (low + high) >> 1;
    if (latencyBounds[mid] >= ms) high = mid;
    else low = mid + 1;
  }
  return low;
}

interface LatencyCounts {
  histogram: Uint32Array;
  success: number;
  failure: number;
}

function percentile(histogram: Uint32Array, total: number, q: number): number {
  const rank = Math.max(1, Math.ceil(q * total));
  let seen = 0;
  for (let i = 0; i < histogram.length; i++) {
    seen += histogram[i];
    if (seen >= rank) return Number.isFinite(latencyBounds[i]) ? latencyBounds[i] : 600_000;
  }
  return 0;
}

/**
 * The last hour of the agent, in the shape a chart wants: each breaker's states as bands, each
 * service's latency (p50, p95) and outcomes per bucket, and the campaign's completions,
 * deferrals and failures per bucket. Fed by the agent's events; memory is bounded by the
 * window (buckets of fixed size, a histogram per bucket, never a list of samples).
 */
export class StatusHistory implements Disposable {
  readonly #windowMs: number;
  readonly #bucketMs: number;
  readonly #now: () => number;
  readonly #startedAt: number;
  /** Per service: the state at `since`, then each change. */
  readonly #changes = new Map<string, { at: number; state: BreakerState }[]>();
  readonly #latency = new Map<string, Map<number, LatencyCounts>>();
  readonly #campaign = new Map<number, CampaignBucket>();
  readonly #subscription: Disposable;

  constructor(
    events: Pick<Emitter<AgentEvent>, "on">,
    deps: {
      /** Clock time now. */
      now: () => number;
      /** Clock time the events' `t` counts from. */
      startedAt: number;
      /** Each service's breaker state when the history starts. */
      initial: Readonly<Record<string, BreakerState>>;
    },
    options: HistoryOptions = {},
  ) {
    this.#windowMs = options.windowMs ?? 3_600_000;
    this.#bucketMs = options.bucketMs ?? 10_000;
    this.#now = deps.now;
    this.#startedAt = deps.startedAt;
    const since = deps.now();
    for (const [service, state] of Object.entries(deps.initial)) {
      this.#changes.set(service, [{ at: since, state }]);
    }
    this.#subscription = events.on((event) => this.#add(event));
  }

  [Symbol.dispose](): void {
    this.#subscription[Symbol.dispose]();
  }

  /** The window as it stands now: from an hour ago (or the history's start, if later). */
  series(): HistorySeries {
    const to = this.#now();
    const windowStart = to - this.#windowMs;
    this.#forget(windowStart);
    const firstChange = Math.min(...[...this.#changes.values()].map((list) => list[0].at), to);
    const from = Math.max(windowStart, firstChange);
    const services = [...this.#changes.entries()].map(([service, changes]) => ({
      service,
      bands: changes.map((change, i) => ({
        from: Math.max(from, change.at),
        to: i + 1 < changes.length ? changes[i + 1].at : to,
        state: change.state,
      })).filter((band) => band.to > band.from || changes.length === 1),
      buckets: [...(this.#latency.get(service) ?? new Map()).entries()]
        .sort(([a], [b]) => a - b)
        .map(([index, counts]) => {
          const total = counts.success + counts.failure;
          return {
            t: index * this.#bucketMs,
            p50: percentile(counts.histogram, total, 0.5),
            p95: percentile(counts.histogram, total, 0.95),
            success: counts.success,
            failure: counts.failure,
          };
        }),
    }));
    const campaign = [...this.#campaign.entries()].sort(([a], [b]) => a - b)
      .map(([, bucket]) => ({ ...bucket }));
    return { from, to, bucketMs: this.#bucketMs, services, campaign };
  }

  #add(event: AgentEvent): void {
    const at = this.#startedAt + event.t;
    switch (event.type) {
      case "breaker": {
        const changes = this.#changes.get(event.service) ?? [];
        changes.push({ at, state: event.to });
        this.#changes.set(event.service, changes);
        this.#forget(at - this.#windowMs);
        return;
      }
      case "attempt": {
        const index = Math.floor(at / this.#bucketMs);
        let buckets = this.#latency.get(event.service);
        if (!buckets) this.#latency.set(event.service, buckets = new Map());
        let counts = buckets.get(index);
        if (!counts) {
          this.#forget(at - this.#windowMs); // a new bucket: time to drop the oldest
          buckets.set(
            index,
            counts = {
              histogram: new Uint32Array(latencyBounds.length),
              success: 0,
              failure: 0,
            },
          );
        }
        counts.histogram[boundIndex(event.durationMs)]++;
        if (event.outcome === "success") counts.success++;
        else counts.failure++;
        return;
      }
      case "contact-done": {
        const index = Math.floor(at / this.#bucketMs);
        let bucket = this.#campaign.get(index);
        if (!bucket) {
          this.#forget(at - this.#windowMs);
          this.#campaign.set(
            index,
            bucket = {
              t: index * this.#bucketMs,
              completed: 0,
              deferred: 0,
              failed: 0,
              skipped: 0,
            },
          );
        }
        bucket[event.status]++;
        return;
      }
    }
  }

  /** Drops what ended before `start`; each breaker keeps the state it was in then. */
  #forget(start: number): void {
    const oldest = Math.floor(start / this.#bucketMs);
    for (const buckets of this.#latency.values()) {
      for (const index of buckets.keys()) if (index < oldest) buckets.delete(index);
    }
    for (const index of this.#campaign.keys()) if (index < oldest) this.#campaign.delete(index);
    for (const changes of this.#changes.values()) {
      while (changes.length > 1 && changes[1].at <= start) changes.shift();
    }
  }
}
