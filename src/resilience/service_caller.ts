import type { Clock } from "../clock/mod.ts";
import type { Tracing } from "../tracing/mod.ts";
import { Emitter } from "../events/mod.ts";
import {
  type AttemptEnd,
  ResilientService,
  type ServiceCallOptions,
  type ServiceCallPolicy,
} from "./resilient_service.ts";

/** Calls the agent's named services, each through its own {@link ResilientService}. Dispose
 * it to clear their deadline timers. */
export class ServiceCaller implements Disposable {
  readonly #services = new Map<string, ResilientService>();
  readonly #attempts = new Emitter<AttemptEnd>();

  constructor(
    policies: Readonly<Record<string, ServiceCallPolicy>>,
    deps: { clock: Clock; tracing?: Tracing },
  ) {
    for (const [name, policy] of Object.entries(policies)) {
      const service = new ResilientService(name, policy, deps);
      service.onAttemptEnd((event) => this.#attempts.emit(event));
      this.#services.set(name, service);
    }
  }

  [Symbol.dispose](): void {
    for (const service of this.#services.values()) service[Symbol.dispose]();
  }

  /** Subscribes to the end of every attempt that reached a service. */
  onAttemptEnd(listener: (event: AttemptEnd) => void): Disposable {
    return this.#attempts.on(listener);
  }

  /** The composition of `service`; throws a RangeError naming the known services otherwise. */
  service(name: string): ResilientService {
    const service = this.#services.get(name);
    if (!service) {
      throw new RangeError(
        `no call policy for service "${name}": known services are ${
          [...this.#services.keys()].join(", ")
        }`,
      );
    }
    return service;
  }

  /** Calls `fn` against `service`; `fn` gets a signal that aborts at the attempt's deadline. */
  call<T>(
    service: string,
    fn: (signal: AbortSignal) => Promise<T>,
    options: ServiceCallOptions<T> = {},
  ): Promise<T> {
    return this.service(service).call(fn, options);
  }
}
