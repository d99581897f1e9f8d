/**
 * Circuit breakers: one {@link CircuitBreaker} per service, kept in a {@link BreakerRegistry}.
 * @module
 */
export { type BreakerOptions, type TripMode } from "./breaker_options.ts";
export {
  type BreakerPermit,
  type BreakerSnapshot,
  type BreakerState,
  type BreakerStateChange,
  CircuitBreaker,
  type ForcedBy,
} from "./circuit_breaker.ts";
export { BreakerRegistry } from "./breaker_registry.ts";
