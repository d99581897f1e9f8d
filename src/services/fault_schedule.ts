import type { Clock } from "../clock/mod.ts";
import { errorOfKind, type FailureKind, type ServiceError } from "../errors.ts";

/** The failures a mock can be told to produce: any the taxonomy names. */
export type FaultKind = FailureKind;

/** One line of a mock's script. With no `fail` and no `hang`, calls succeed. */
export interface FaultRule {
  /** Error every matching call ends with. */
  fail?: FaultKind;
  /** The rule covers this many calls, then expires. Unset: unlimited. */
  calls?: number;
  /** Clock time the rule starts to apply. Unset: from the start. */
  fromMs?: number;
  /** Clock time the rule stops applying. Unset: forever. */
  untilMs?: number;
  /** Added before the call answers. */
  latencyMs?: number;
  /** The call never answers until its signal aborts. */
  hang?: boolean;
  /** For `rate-limit`: the Retry-After the service sends. */
  retryAfterMs?: number;
}

/** What one call (or probe) will do. */
export interface Behaviour {
  latencyMs: number;
  hang: boolean;
  error?: ServiceError;
}

/**
 * A mock service's script: the first rule that is active (in its time span, with calls left)
 * decides each call. Probes read the script without using up a rule's calls. Generic over the
 * rule type, so fake HTTP servers extend the rules with transport faults.
 */
export class FaultSchedule<R extends FaultRule = FaultRule> {
  readonly #rules: { rule: R; callsLeft: number }[];
  readonly #clock: Clock;
  readonly #service: string;
  readonly #defaultLatencyMs: number;

  constructor(
    service: string,
    rules: readonly R[],
    deps: { clock: Clock; defaultLatencyMs?: number },
  ) {
    this.#service = service;
    this.#rules = rules.map((rule) => ({ rule, callsLeft: rule.calls ?? Infinity }));
    this.#clock = deps.clock;
    this.#defaultLatencyMs = deps.defaultLatencyMs ?? 0;
  }

  /** Puts `rule` ahead of the script until the returned handle is disposed: an outage a test
   * starts and ends at moments of its choosing. */
  interrupt(rule: R): Disposable {
    const entry = { rule, callsLeft: rule.calls ?? Infinity };
    this.#rules.unshift(entry);
    return {
      [Symbol.dispose]: () => {
        const index = this.#rules.indexOf(entry);
        if (index >= 0) this.#rules.splice(index, 1);
      },
    };
  }

  /** The rule deciding the next call, using up one of its calls; undefined: healthy. */
  nextRule(): R | undefined {
    const entry = this.#active();
    if (entry) entry.callsLeft--;
    return entry?.rule;
  }

  /** The rule a probe sees now; uses nothing up. */
  currentRule(): R | undefined {
    return this.#active()?.rule;
  }

  /** The behaviour of the next call, using up one of its rule's calls. */
  nextCall(): Behaviour {
    return this.#behaviour(this.nextRule());
  }

  /** The behaviour a probe sees now; uses nothing up. */
  probe(): Behaviour {
    return this.#behaviour(this.currentRule());
  }

  #active() {
    const now = this.#clock.now();
    return this.#rules.find(({ rule, callsLeft }) =>
      callsLeft > 0 && (rule.fromMs === undefined || now >= rule.fromMs) &&
      (rule.untilMs === undefined || now < rule.untilMs)
    );
  }

  #behaviour(rule?: FaultRule): Behaviour {
    return {
      latencyMs: rule?.latencyMs ?? this.#defaultLatencyMs,
      hang: rule?.hang ?? false,
      error: rule?.fail ? faultError(this.#service, rule.fail, rule.retryAfterMs) : undefined,
    };
  }
}

/** The taxonomy error a real provider failure of `kind` maps to. */
export function faultError(service: string, kind: FaultKind, retryAfterMs?: number): ServiceError {
  return errorOfKind(kind, { service, message: `injected fault: ${kind}`, retryAfterMs });
}
