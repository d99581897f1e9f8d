import { createHmac } from "node:crypto";
import type { Clock } from "../clock/mod.ts";
import { HttpClient, type HttpDeps, webhookErrors } from "../http/mod.ts";
import type { AlertChannel, Notification } from "./alert.ts";

/** Settings of the webhook alert channel. */
export interface WebhookAlertOptions {
  url: string;
  /** Shared secret for the signature, read from the environment. */
  secret: string;
  /** Every secret to keep out of messages (this one is always among them). */
  secrets?: () => readonly string[];
}

/** `sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">`: what receivers recompute to verify. */
export function signWebhook(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac("sha256", secret).update(`${timestamp}.${body}`).digest("hex")}`;
}

/**
 * POSTs each notification as JSON, signed: `X-Timestamp` (seconds) and `X-Signature`
 * (HMAC-SHA256 over timestamp and body with the shared secret), and its id as
 * `Idempotency-Key`.
 */
export class WebhookAlertChannel implements AlertChannel {
  readonly name: string;
  readonly #http: HttpClient;
  readonly #secret: string;
  readonly #clock: Clock;

  constructor(
    options: WebhookAlertOptions,
    deps: HttpDeps,
    name = "webhook",
  ) {
    this.name = name;
    this.#secret = options.secret;
    this.#clock = deps.clock;
    this.#http = new HttpClient({
      service: `alerts:${name}`,
      baseUrl: options.url,
      errors: webhookErrors,
      secrets: () => [options.secret, ...(options.secrets?.() ?? [])],
    }, deps);
  }

  async send(notification: Notification, signal?: AbortSignal): Promise<void> {
    const body = JSON.stringify({ ...notification, source: "ai-call-agent" });
    const timestamp = String(Math.floor(this.#clock.now() / 1000));
    await this.#http.request({
      method: "POST",
      path: "",
      headers: {
        "content-type": "application/json",
        "idempotency-key": notification.id,
        "x-timestamp": timestamp,
        "x-signature": signWebhook(this.#secret, timestamp, body),
      },
      body,
      signal,
    });
  }
}
