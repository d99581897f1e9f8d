/**
 * The status endpoint: a Hono app with health, readiness, status, Prometheus metrics, the
 * dashboard and admin breaker controls.
 * @module
 */
export { type AppDeps, createStatusApp, loopbackHosts, type StatusApp } from "./create_app.ts";
export type { ProcessIdentity } from "./agent_metrics.ts";
export { type RecentEvent, RecentEvents } from "./recent_events.ts";
export { type HistorySeries, StatusHistory } from "./status_history.ts";
export { type TelephonyRouteDeps, telephonyRoutes } from "./telephony_routes.ts";
