import { ServiceUnavailableError } from "../errors.ts";
import { HttpClient, type HttpDeps } from "../http/mod.ts";
import { hubSpotErrors } from "./_hubspot_errors.ts";
import type { CallOutcome, CrmService, ServiceCallOptions } from "./types.ts";
import { malformedProbe } from "./_health_probe.ts";

/** Settings of the HubSpot CRM client. */
export interface HubSpotCrmOptions {
  baseUrl: string;
  /** Private app token, read from the environment. */
  token: string;
  /** Every secret to keep out of messages. */
  secrets?: () => readonly string[];
}

/** HubSpot's association type id for a call to a contact. */
const callToContact = 194;

interface SearchResult {
  results?: { id?: unknown }[];
}

/**
 * Logs each call in HubSpot as a call engagement associated with the contact (found by phone,
 * or created). HubSpot has no idempotency key, so the key goes into the call's title and an
 * existing call with that title is reused: a retry after a lost answer creates nothing twice.
 */
export class HubSpotCrm implements CrmService {
  readonly name: string;
  readonly #http: HttpClient;

  constructor(
    options: HubSpotCrmOptions,
    deps: HttpDeps,
    name = "crm",
  ) {
    this.name = name;
    this.#http = new HttpClient({
      service: name,
      baseUrl: options.baseUrl,
      headers: { authorization: `Bearer ${options.token}` },
      errors: hubSpotErrors,
      secrets: () => [options.token, ...(options.secrets?.() ?? [])],
    }, deps);
  }

  async recordOutcome(
    outcome: CallOutcome,
    options: ServiceCallOptions & { idempotencyKey: string },
  ): Promise<{ recordId: string }> {
    const { signal } = options;
    const title = `AI call ${options.idempotencyKey}`;
    const existing = await this.#search("calls", "hs_call_title", title, signal);
    if (existing) return { recordId: existing };
    const contactId = await this.#contactId(outcome, signal);
    const created = await this.#http.json<{ id?: unknown }>({
      method: "POST",
      path: "/crm/v3/objects/calls",
      json: {
        properties: {
          hs_timestamp: new Date(outcome.at).toISOString(),
          hs_call_title: title,
          hs_call_body: outcome.skipped ? notCalledText(outcome.skipped) : outcome.script,
          // HubSpot's call statuses: COMPLETED, BUSY, NO_ANSWER, FAILED, CANCELED, ...
          hs_call_status: outcome.status === "skipped"
            ? "CANCELED"
            : outcome.status.toUpperCase().replace("-", "_"),
          hs_call_direction: "OUTBOUND",
          hs_call_to_number: outcome.phone,
          hs_call_duration: String((outcome.durationS ?? 0) * 1000),
        },
        associations: [{
          to: { id: contactId },
          types: [{ associationCategory: "HUBSPOT_DEFINED", associationTypeId: callToContact }],
        }],
      },
      signal,
    });
    return { recordId: this.#idOf(created?.id, "calls") };
  }

  /** Healthy when one page of contacts can be read: a 200 that is not one is unhealthy. */
  async probe(options: ServiceCallOptions = {}): Promise<void> {
    const body = await this.#http.json<{ results?: unknown }>({
      method: "GET",
      path: "/crm/v3/objects/contacts",
      query: { limit: "1" },
      signal: options.signal,
    });
    if (!Array.isArray(body?.results)) {
      throw malformedProbe(this.name, "GET /crm/v3/objects/contacts", "a page of contacts");
    }
  }

  async #contactId(outcome: CallOutcome, signal?: AbortSignal): Promise<string> {
    const found = await this.#search("contacts", "phone", outcome.phone, signal);
    if (found) return found;
    const [firstname, ...rest] = outcome.contactName.split(" ");
    const response = await this.#http.request({
      method: "POST",
      path: "/crm/v3/objects/contacts",
      json: { properties: { phone: outcome.phone, firstname, lastname: rest.join(" ") } },
      acceptStatuses: [409],
      signal,
    });
    const body = JSON.parse(new TextDecoder().decode(response.body) || "{}");
    if (response.status === 409) {
      // "Contact already exists. Existing ID: N": not an error to retry, the id to use.
      const existing = /Existing ID:\s*(\d+)/.exec(String(body?.message))?.[1];
      if (existing) return existing;
    }
    return this.#idOf(body?.id, "contacts");
  }

  async #search(
    object: "calls" | "contacts",
    property: string,
    value: string,
    signal?: AbortSignal,
  ): Promise<string | undefined> {
    const result = await this.#http.json<SearchResult>({
      method: "POST",
      path: `/crm/v3/objects/${object}/search`,
      idempotent: true, // a search reads; sending it twice changes nothing
      json: {
        filterGroups: [{ filters: [{ propertyName: property, operator: "EQ", value }] }],
        properties: [property],
        limit: 1,
      },
      signal,
    });
    const id = result?.results?.[0]?.id;
    return id === undefined ? undefined : String(id);
  }

  #idOf(id: unknown, object: string): string {
    if (typeof id === "string" || typeof id === "number") return String(id);
    throw new ServiceUnavailableError({
      service: this.name,
      code: "malformed_response",
      message: `HubSpot created a ${object} object without an id`,
    });
  }
}

/** The call note of a contact that was not called. */
function notCalledText(skipped: NonNullable<CallOutcome["skipped"]>): string {
  return skipped.reason === "do-not-call"
    ? "Not called: the number is on the campaign's do-not-call list."
    : `Not called: the number was already called for contact ${skipped.firstContactId} in this campaign.`;
}
