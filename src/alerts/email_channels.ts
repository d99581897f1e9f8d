import { type ErrorTable, HttpClient, type HttpDeps } from "../http/mod.ts";
import { resendErrors, sendGridErrors } from "./_email_errors.ts";
import type { AlertChannel, Notification } from "./alert.ts";
import { escapeHtml, notificationText, notificationTitle } from "./format_notification.ts";

/** Settings of an email channel. */
export interface EmailChannelOptions {
  baseUrl: string;
  /** API key, read from the environment. */
  apiKey: string;
  from: string;
  to: readonly string[];
  /** Every secret to keep out of messages (this key is always among them). */
  secrets?: () => readonly string[];
}

/** The HTTP client of an email provider: bearer key, the provider's error table. */
function emailClient(
  options: EmailChannelOptions,
  errors: ErrorTable,
  name: string,
  deps: HttpDeps,
): HttpClient {
  return new HttpClient({
    service: `alerts:${name}`,
    baseUrl: options.baseUrl,
    headers: { authorization: `Bearer ${options.apiKey}` },
    errors,
    secrets: () => [options.apiKey, ...(options.secrets?.() ?? [])],
  }, deps);
}

/**
 * Email through Resend (`POST /emails`). The notification's id is the `Idempotency-Key`, so a
 * retry or a replay after a lost answer never sends the same message twice.
 */
export class ResendEmailChannel implements AlertChannel {
  readonly name: string;
  readonly #http: HttpClient;
  readonly #options: EmailChannelOptions;

  constructor(
    options: EmailChannelOptions,
    deps: HttpDeps,
    name = "email",
  ) {
    this.name = name;
    this.#options = options;
    this.#http = emailClient(options, resendErrors, name, deps);
  }

  async send(notification: Notification, signal?: AbortSignal): Promise<void> {
    const text = notificationText(notification);
    await this.#http.json({
      method: "POST",
      path: "/emails",
      headers: { "idempotency-key": notification.id },
      signal,
      json: {
        from: this.#options.from,
        to: this.#options.to,
        subject: notificationTitle(notification),
        text,
        html: `<pre>${escapeHtml(text)}</pre>`,
      },
    });
  }
}

/** Email through SendGrid v3 (`POST /v3/mail/send`, 202 on success). */
export class SendGridEmailChannel implements AlertChannel {
  readonly name: string;
  readonly #http: HttpClient;
  readonly #options: EmailChannelOptions;

  constructor(
    options: EmailChannelOptions,
    deps: HttpDeps,
    name = "email",
  ) {
    this.name = name;
    this.#options = options;
    this.#http = emailClient(options, sendGridErrors, name, deps);
  }

  async send(notification: Notification, signal?: AbortSignal): Promise<void> {
    const text = notificationText(notification);
    await this.#http.request({
      method: "POST",
      path: "/v3/mail/send",
      signal,
      json: {
        personalizations: [{ to: this.#options.to.map((email) => ({ email })) }],
        from: { email: this.#options.from },
        subject: notificationTitle(notification),
        content: [{ type: "text/plain", value: text }],
        custom_args: { notification_id: notification.id },
      },
    });
  }
}
