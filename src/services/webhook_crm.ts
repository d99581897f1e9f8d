import { PermanentError } from "../errors.ts";
import { HttpClient, type HttpDeps, webhookErrors } from "../http/mod.ts";
import type { CallOutcome, CrmService, ServiceCallOptions } from "./types.ts";

/** Settings of the webhook CRM. */
export interface WebhookCrmOptions {
  /** Where outcomes are POSTed. */
  url: string;
  /** Probed for health; defaults to `url`. */
  healthUrl?: string;
  /** Sent as `Authorization: Bearer <token>` when set (read from the environment). */
  token?: string;
  /** Every secret to keep out of messages. */
  secrets?: () => readonly string[];
}

/**
 * Records outcomes by POSTing them as JSON to a webhook, with an `Idempotency-Key` header so
 * the receiver can drop a repeat (what Vapi- and Retell-style platforms do).
 */
export class WebhookCrm implements CrmService {
  readonly name: string;
  readonly #http: HttpClient;
  readonly #health: HttpClient;

  constructor(
    options: WebhookCrmOptions,
    deps: HttpDeps,
    name = "crm",
  ) {
    this.name = name;
    const common = {
      service: name,
      headers: options.token ? { authorization: `Bearer ${options.token}` } : undefined,
      errors: webhookErrors,
      secrets: () => [...(options.token ? [options.token] : []), ...(options.secrets?.() ?? [])],
    };
    this.#http = new HttpClient({ ...common, baseUrl: options.url }, deps);
    this.#health = new HttpClient({ ...common, baseUrl: options.healthUrl || options.url }, deps);
  }

  async recordOutcome(
    outcome: CallOutcome,
    options: ServiceCallOptions & { idempotencyKey: string },
  ): Promise<{ recordId: string }> {
    const response = await this.#http.request({
      method: "POST",
      path: "",
      headers: { "idempotency-key": options.idempotencyKey },
      json: { ...outcome, at: new Date(outcome.at).toISOString() },
      signal: options.signal,
    });
    let recordId = options.idempotencyKey;
    try {
      const json = JSON.parse(new TextDecoder().decode(response.body));
      if (typeof json?.id === "string" || typeof json?.id === "number") recordId = String(json.id);
    } catch {
      // A receiver may answer 2xx with no body: the idempotency key names the record.
    }
    return { recordId };
  }

  /** Healthy when the receiver answers at all below 500, except 401/403 (bad credentials). */
  async probe(options: ServiceCallOptions = {}): Promise<void> {
    try {
      await this.#health.request({ method: "GET", path: "", signal: options.signal });
    } catch (error) {
      if (error instanceof PermanentError && error.status !== 401 && error.status !== 403) return;
      throw error;
    }
  }
}
