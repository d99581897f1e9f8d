import type { FiringAlerts } from "../campaign_store.ts";

/** Firing alerts in memory. */
export class InMemoryFiringAlerts implements FiringAlerts {
  readonly #alerts = new Map<string, string>();

  fire(key: string, alert: string): Promise<void> {
    this.#alerts.set(key, alert);
    return Promise.resolve();
  }

  resolve(key: string): Promise<void> {
    this.#alerts.delete(key);
    return Promise.resolve();
  }

  list(): Promise<string[]> {
    return Promise.resolve([...this.#alerts].sort(([a], [b]) => a < b ? -1 : 1).map(([, v]) => v));
  }
}
