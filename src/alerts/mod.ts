/**
 * Alerts: what an alert is, the routing manager (grouping, dedup, inhibition, resolution),
 * per-channel delivery with retry, breaker, rate limit and outbox, and the channels: log,
 * memory, Telegram, email (Resend, SendGrid) and a signed webhook.
 * @module
 */
export {
  type Alert,
  type AlertChannel,
  type AlertLabels,
  type AlertManager,
  type Notification,
  type Severity,
} from "./alert.ts";
export { ChannelDelivery, type DeliveryOptions, type DeliveryResult } from "./channel_delivery.ts";
export {
  type AlertDecision,
  type AlertingStatus,
  RoutingAlertManager,
  type RoutingOptions,
} from "./routing_alert_manager.ts";
export { MemoryAlertChannel } from "./channels.ts";

export { splitMessage, TelegramChannel, type TelegramChannelOptions } from "./telegram_channel.ts";
export {
  type EmailChannelOptions,
  ResendEmailChannel,
  SendGridEmailChannel,
} from "./email_channels.ts";
export {
  signWebhook,
  WebhookAlertChannel,
  type WebhookAlertOptions,
} from "./webhook_alert_channel.ts";

export { type AlertingDeps, createAlerting } from "./create_alerting.ts";
export { escapeHtml } from "./format_notification.ts";
