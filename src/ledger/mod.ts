/**
 * The durable campaign ledger: the {@link CampaignStore} interface, the embedded SQLite store,
 * and an in-memory one for tests and benchmarks.
 * @module
 */
export {
  type AlertClaim,
  type Attempts,
  callSidsOf,
  type CampaignStore,
  type ContactRecord,
  crmIdempotencyKey,
  type Deferral,
  type DialRefusal,
  type DialTurns,
  type DoNotCallList,
  type FiringAlerts,
  type InvalidRow,
  LeaseLostError,
  type LeaseOptions,
  type LoadResult,
  type LoadSource,
  nextServiceState,
  optOutVersion,
  type Outbox,
  type OutboxItem,
  type SamePhoneRule,
  type ServiceState,
  type SharedState,
  type StateCounts,
  type StepOutputs,
} from "./campaign_store.ts";
export { applicationId, LedgerError } from "./sqlite/schema.ts";
export { SqliteCampaignStore, type SqliteLedgerOptions } from "./sqlite/sqlite_store.ts";
export { InMemoryCampaignStore } from "./memory/memory_store.ts";
export { InMemoryFiringAlerts } from "./memory/memory_firing_alerts.ts";
export { InMemoryOutbox } from "./memory/memory_outbox.ts";
export { PostgresCampaignStore } from "./postgres/postgres_store.ts";
export { acquireLedgerLock, type LedgerHolder, thisProcess } from "./ledger_lock.ts";
export {
  type LedgerSettings,
  type OpenLedger,
  openLedger,
  type OpenLedgerDeps,
} from "./open_ledger.ts";
