/**
 * The background health checker that probes every service and drives breaker recovery.
 * @module
 */
export {
  HealthChecker,
  type HealthCheckerOptions,
  type HealthCheckEvent,
  type HealthStatus,
  type ServiceHealth,
} from "./health_checker.ts";
