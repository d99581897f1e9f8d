/**
 * The status endpoint: a Hono app with health, readiness, status, Prometheus metrics, the
 * dashboard and admin breaker controls.
 * @module
 */
export { type AppDeps, createStatusApp, loopbackHosts, type StatusApp } from "./create_app.ts";
export { AgentMetrics } from "./agent_metrics.ts";
export { agentStatus, readiness, RecentEvents } from "./agent_status.ts";
export { Counter, Gauge, Histogram, MetricsRegistry } from "./metrics_registry.ts";
export { dashboardHtml } from "./dashboard.ts";
