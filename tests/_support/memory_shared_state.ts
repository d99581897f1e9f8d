import {
  type AlertClaim,
  nextServiceState,
  type ServiceState,
  type SharedState,
} from "../../src/ledger/mod.ts";

/**
 * What a shared ledger keeps for its processes (service states, who sent which alert), in
 * memory, with the PostgreSQL store's semantics: several agents of one test share one.
 */
export class MemorySharedState implements SharedState {
  readonly states = new Map<string, ServiceState>();
  readonly #alerts = new Map<string, { status: string; sentAt: number }>();

  serviceStates(): Promise<ServiceState[]> {
    return Promise.resolve([...this.states.values()].map((state) => ({ ...state })));
  }

  publishServiceState(state: ServiceState, options: { operator?: boolean } = {}): Promise<void> {
    const next = nextServiceState(this.states.get(state.service), state, options.operator ?? false);
    if (next) this.states.set(state.service, { ...next });
    return Promise.resolve();
  }

  claimAlerts(alerts: readonly AlertClaim[], now: number, repeatMs: number): Promise<AlertClaim[]> {
    const claimed = alerts.filter(({ key, status }) => {
      const current = this.#alerts.get(key);
      if (status === "resolved") {
        if (current?.status !== "firing") return false;
      } else if (current?.status === "firing" && current.sentAt > now - repeatMs) {
        return false;
      }
      this.#alerts.set(key, { status, sentAt: now });
      return true;
    });
    return Promise.resolve(claimed);
  }
}
