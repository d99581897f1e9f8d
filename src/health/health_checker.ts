import type { BreakerRegistry } from "../breaker/mod.ts";
import { type Clock, Deadlines, every } from "../clock/mod.ts";
import { errorClass, TimeoutError } from "../errors.ts";
import { Emitter } from "../events/mod.ts";
import type { ProbedService } from "../services/mod.ts";

/** What the last probe said. */
export type HealthStatus = "healthy" | "unhealthy" | "unknown";

/** Per-service result of the health checks. */
export interface ServiceHealth {
  service: string;
  status: HealthStatus;
  /** Clock time of the last finished probe. */
  lastCheckedAt?: number;
  /** How long the last probe took. */
  latencyMs?: number;
  /** Class and message of the last failed probe. */
  lastError?: string;
  /** Class of the last failed probe's error (`TimeoutError`, `ServiceUnavailableError`...). */
  lastErrorClass?: string;
  /** Failed probes in a row. */
  consecutiveFailures: number;
}

/** Announced after every probe. */
export interface HealthCheckEvent extends ServiceHealth {
  /** Whether the status differs from the previous probe's. */
  changed: boolean;
  previous: HealthStatus;
}

/** Health checker parameters; defaults live in `config/defaults.ts`. */
export interface HealthCheckerOptions {
  /** Time between probes of one service. @default 10000 */
  intervalMs: number;
  /** A probe that takes longer is unhealthy. @default 5000 */
  timeoutMs: number;
}

/**
 * Probes every service on its own loop and reports each result to that service's breaker,
 * which is how an OPEN breaker learns that its service is back. Start it with {@link start};
 * stop it with {@link stop} or `await using`.
 */
export class HealthChecker implements AsyncDisposable {
  readonly #services: readonly ProbedService[];
  readonly #breakers: BreakerRegistry;
  readonly #options: HealthCheckerOptions;
  readonly #clock: Clock;
  readonly #mayProbe?: (service: string) => Promise<boolean>;
  readonly #health = new Map<string, ServiceHealth>();
  readonly #events = new Emitter<HealthCheckEvent>();
  readonly #deadlines = new Map<string, Deadlines>();
  #controller?: AbortController;
  #loops: Promise<void>[] = [];

  constructor(
    services: readonly ProbedService[],
    breakers: BreakerRegistry,
    options: HealthCheckerOptions,
    deps: {
      clock: Clock;
      /** Asked before each probe: where processes share a ledger, it brings the breakers up
       * to date and says no while another process holds the service down (that process's
       * probes decide for all), so a probe never reaches a service another stopped. */
      mayProbe?: (service: string) => Promise<boolean>;
    },
  ) {
    if (!(options.intervalMs > 0)) {
      throw new RangeError(`health.intervalMs must be > 0: got ${options.intervalMs}`);
    }
    if (!(options.timeoutMs > 0)) {
      throw new RangeError(`health.timeoutMs must be > 0: got ${options.timeoutMs}`);
    }
    this.#services = services;
    this.#breakers = breakers;
    this.#options = options;
    this.#clock = deps.clock;
    this.#mayProbe = deps.mayProbe;
    for (const { name } of services) {
      this.#health.set(name, { service: name, status: "unknown", consecutiveFailures: 0 });
      this.#deadlines.set(
        name,
        new Deadlines(
          deps.clock,
          options.timeoutMs,
          () => new TimeoutError({ service: name, timeoutMs: options.timeoutMs }),
        ),
      );
    }
  }

  /** Subscribes to every probe result. */
  onCheck(listener: (event: HealthCheckEvent) => void): Disposable {
    return this.#events.on(listener);
  }

  /** Whether the background loops run. */
  get running(): boolean {
    return this.#controller !== undefined;
  }

  /** Starts one probe loop per service; the first probe runs at once. */
  start(): void {
    if (this.#controller) return;
    const controller = new AbortController();
    this.#controller = controller;
    // Fixed rate: a slow probe does not push every later probe back.
    this.#loops = this.#services.map((service) =>
      every(this.#clock, this.#options.intervalMs, () => this.#check(service, controller.signal), {
        signal: controller.signal,
        startNow: true,
      }).done
    );
  }

  /** Stops every loop, waits for probes in flight to end, and clears the probes' deadline
   * timers. */
  async stop(): Promise<void> {
    const controller = this.#controller;
    this.#controller = undefined;
    if (controller) {
      controller.abort(new DOMException("health checker stopped", "AbortError"));
      await Promise.all(this.#loops);
      this.#loops = [];
    }
    for (const deadlines of this.#deadlines.values()) deadlines[Symbol.dispose]();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.stop();
  }

  /** Probes every service once, now, and returns the results. */
  async checkAll(signal?: AbortSignal): Promise<ServiceHealth[]> {
    await Promise.all(this.#services.map((service) => this.#check(service, signal)));
    return this.status();
  }

  /** The latest result per service. */
  status(): ServiceHealth[] {
    return [...this.#health.values()].map((health) => ({ ...health }));
  }

  async #check(service: ProbedService, signal?: AbortSignal): Promise<void> {
    if (this.#mayProbe && !await this.#mayProbe(service.name)) return;
    // An operator who stopped a service expects nothing to reach it, probes included.
    if (this.#breakers.has(service.name) && this.#breakers.get(service.name).forced) return;
    const started = this.#clock.now();
    let error: unknown;
    try {
      await this.#deadlines.get(service.name)!.run(
        (probeSignal) => service.probe({ signal: probeSignal }),
        signal,
      );
    } catch (caught) {
      if (signal?.aborted) return; // stopped mid-probe: no verdict
      error = caught ?? new Error("probe failed");
    }
    const previous = this.#health.get(service.name)!;
    const healthy = error === undefined;
    const health: ServiceHealth = {
      service: service.name,
      status: healthy ? "healthy" : "unhealthy",
      lastCheckedAt: this.#clock.now(),
      latencyMs: this.#clock.now() - started,
      lastError: healthy
        ? undefined
        : `${errorClass(error)}: ${error instanceof Error ? error.message : String(error)}`,
      lastErrorClass: healthy ? undefined : errorClass(error),
      consecutiveFailures: healthy ? 0 : previous.consecutiveFailures + 1,
    };
    this.#health.set(service.name, health);
    if (this.#breakers.has(service.name)) this.#breakers.get(service.name).reportProbe(healthy);
    this.#events.emit({
      ...health,
      previous: previous.status,
      changed: previous.status !== health.status,
    });
  }
}
