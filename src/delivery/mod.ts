/**
 * Durable delivery for sinks: a queue in the ledger's outbox sent oldest first under a rate
 * limit, a retry policy and the sink's own breaker. Alert channels and the Sheets log use it.
 * @module
 */
export {
  type DeliveryStatus,
  DurableDelivery,
  type DurableDeliveryOptions,
  type SendContext,
  type SendResult,
} from "./durable_delivery.ts";
export {
  DeliveryHealth,
  type DeliveryHealthEvent,
  type DeliveryHealthStatus,
} from "./delivery_health.ts";
