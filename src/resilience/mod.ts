/**
 * How every service call is made: retry, bulkhead slot, breaker admission and deadline,
 * composed once ({@link ResilientService}); the agent's services by name
 * ({@link ServiceCaller}); and a rate limiter for sinks.
 * @module
 */
export {
  type AttemptEnd,
  type AttemptTrace,
  ResilientService,
  type ServiceCallOptions,
  type ServiceCallPolicy,
} from "./resilient_service.ts";
export { ServiceCaller } from "./service_caller.ts";
export { Bulkhead, type SlotWaitOptions } from "./bulkhead.ts";
export { RateLimiter, type SentRequest } from "./rate_limiter.ts";
