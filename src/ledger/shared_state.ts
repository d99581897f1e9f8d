/** What one process tells the others about a service through a shared ledger. */
export interface ServiceState {
  service: string;
  /** Clock time until which the service is held open; 0: it answers again. */
  openUntil: number;
  /** An operator holds it open: every process honours it, whatever its own breaker says,
   * until an operator lets it go (on any process). */
  forced: boolean;
  reason: string;
  /** The lease owner that said so. */
  by: string;
  /** Clock time it was said. */
  at: number;
}

/**
 * The shared state of a service after `published` (by an operator when `operator`), given the
 * `current` one; undefined when it stays as it was. The rules every process relies on:
 * - an operator's forced opening stands until an operator's release: nothing a process learns
 *   by itself (a trial that succeeded, a hold of its own) changes it;
 * - a hold is never shortened by another hold: a process that still finds the service down
 *   extends it, one that found it down for a shorter time does not cut it back;
 * - a release (a trial that succeeded) ends a hold for all.
 */
export function nextServiceState(
  current: ServiceState | undefined,
  published: ServiceState,
  operator: boolean,
): ServiceState | undefined {
  if (current?.forced && !operator) return undefined;
  if (published.forced || published.openUntil === 0) return published;
  const holding = current !== undefined && !current.forced && current.openUntil > published.at;
  return holding && current.openUntil > published.openUntil
    ? { ...published, openUntil: current.openUntil }
    : published;
}

/** An alert's state change, offered to a shared ledger so one process sends it. */
export interface AlertClaim {
  key: string;
  status: "firing" | "resolved";
}

/**
 * The alerts firing now, one row each, kept so that a process that restarts during an outage
 * still sends its "resolved". Raising or resolving one alert writes that alert's row alone, in
 * one statement. Where processes share the ledger, they share the rows.
 */
export interface FiringAlerts {
  /** Keeps `alert` (its JSON) as firing under `key`, replacing what was kept there. */
  fire(key: string, alert: string): Promise<void>;
  /** Forgets the alert `key`. */
  resolve(key: string): Promise<void>;
  /** Every alert kept as firing (their JSON), by key. */
  list(): Promise<string[]>;
}

/**
 * What processes sharing one ledger share besides contacts: each service's state (a breaker
 * opened or a pause asked for by one process holds for all; a successful trial anywhere lets
 * all resume), and which process sends each alert (one message per outage, not one per
 * process). Only stores several processes can use at once have it.
 */
export interface SharedState {
  /** Every service's shared state. */
  serviceStates(): Promise<ServiceState[]>;
  /** Publishes what this process learned (`operator`: an operator's action), kept as
   * {@link nextServiceState} says, atomically with whatever others publish at once. */
  publishServiceState(state: ServiceState, options?: { operator?: boolean }): Promise<void>;
  /**
   * The alerts this process is to send: a firing alert no process sent within `repeatMs`
   * (it is marked sent now), a resolved one still marked firing (it is marked resolved).
   */
  claimAlerts(
    alerts: readonly AlertClaim[],
    now: number,
    repeatMs: number,
  ): Promise<AlertClaim[]>;
}
