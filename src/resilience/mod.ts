/**
 * Retry, breaker and timeout composed: how every service call is made.
 * @module
 */
export { resilientCall, type ResilientCallOptions } from "./resilient_call.ts";
export { type AttemptEnd, ServiceCaller, type ServiceCallPolicy } from "./service_caller.ts";
export { Bulkhead } from "./bulkhead.ts";
export { RateLimiter } from "./rate_limiter.ts";
