/**
 * Alerts: what an alert is, the manager that routes it, and the first channels (log, memory).
 * @module
 */
export type { Alert, AlertChannel, AlertLabels, AlertManager, Severity } from "./alert.ts";
export { type AlertDelivery, BasicAlertManager } from "./basic_alert_manager.ts";
export { LogAlertChannel, MemoryAlertChannel } from "./channels.ts";
