import { Hono } from "hono";
import { systemClock } from "../clock/mod.ts";
import type { FaultKind } from "../services/mod.ts";
import {
  type FakeErrorResponse,
  FakeProviderState,
  type FakeServer,
  type HttpFaultRule,
  serveFake,
} from "./fake_server.ts";
import type { FakeOptions } from "./fake_openai.ts";

const hubSpotError = (message: string, category: string, extra: Record<string, unknown> = {}) => ({
  status: "error",
  message,
  correlationId: "00000000-0000-0000-0000-000000000000",
  category,
  ...extra,
});

/** HubSpot's exact error responses, as the provider publishes them (`docs/providers.md`). */
export function hubSpotErrorFor(kind: FaultKind, _rule: HttpFaultRule): FakeErrorResponse {
  switch (kind) {
    case "rate-limit":
      return {
        status: 429,
        body: hubSpotError("You have reached your ten_secondly_rolling limit.", "RATE_LIMITS", {
          errorType: "RATE_LIMIT",
          policyName: "TEN_SECONDLY_ROLLING",
        }),
      };
    case "quota":
      return {
        status: 429,
        body: hubSpotError("You have reached your daily limit.", "RATE_LIMITS", {
          errorType: "RATE_LIMIT",
          policyName: "DAILY",
        }),
      };
    case "auth":
      return {
        status: 401,
        body: hubSpotError("Authentication credentials not found.", "INVALID_AUTHENTICATION"),
      };
    case "invalid-request":
      return {
        status: 400,
        body: hubSpotError("Property values were not valid.", "VALIDATION_ERROR"),
      };
    case "not-found":
      return { status: 404, body: hubSpotError("Resource not found.", "OBJECT_NOT_FOUND") };
    default:
      return { status: 503, body: hubSpotError("Service unavailable.", "SERVICE_UNAVAILABLE") };
  }
}

interface StoredObject {
  id: string;
  properties: Record<string, string>;
  associations?: unknown;
}

/** A fake HubSpot with its stored contacts and calls. */
export interface FakeHubSpotServer extends FakeServer {
  contacts: StoredObject[];
  calls: StoredObject[];
}

/**
 * A fake HubSpot CRM v3: contact and call search by one EQ filter, creation (409 with the
 * existing id for a duplicate contact phone), and the bearer token check.
 */
export function startFakeHubSpot(options: FakeOptions): FakeHubSpotServer {
  const state = new FakeProviderState(
    "crm",
    options.faults ?? [],
    options.clock ?? systemClock,
    hubSpotErrorFor,
  );
  const objects: Record<string, StoredObject[]> = { contacts: [], calls: [] };
  let nextId = 1001;
  const app = new Hono();
  app.use("*", async (c, next) => {
    await state.record(c);
    if (c.req.header("authorization") !== `Bearer ${options.apiKey}`) {
      const { status, body } = hubSpotErrorFor("auth", {});
      return c.json(body, status as 401);
    }
    return await next();
  });
  app.get(
    "/crm/v3/objects/contacts",
    async (c) => (await state.fault(c, true)) ?? c.json({ results: objects.contacts.slice(0, 1) }),
  );
  app.post("/crm/v3/objects/:object/search", async (c) => {
    const faulty = await state.fault(c);
    if (faulty) return faulty;
    const body = state.bodyOf(c) as {
      filterGroups?: { filters?: { propertyName: string; value: string }[] }[];
    };
    const filter = body?.filterGroups?.[0]?.filters?.[0];
    const results = (objects[c.req.param("object")] ?? []).filter((o) =>
      filter && o.properties[filter.propertyName] === filter.value
    );
    return c.json({ total: results.length, results });
  });
  app.post("/crm/v3/objects/:object", async (c) => {
    const faulty = await state.fault(c);
    if (faulty) return faulty;
    const list = objects[c.req.param("object")];
    if (!list) return c.json(hubSpotErrorFor("not-found", {}).body, 404);
    const body = state.bodyOf(c) as {
      properties?: Record<string, string>;
      associations?: unknown;
    };
    const properties = body?.properties ?? {};
    if (c.req.param("object") === "contacts") {
      const existing = list.find((o) => o.properties.phone === properties.phone);
      if (existing) {
        return c.json(
          hubSpotError(`Contact already exists. Existing ID: ${existing.id}`, "CONFLICT"),
          409,
        );
      }
    }
    const created = { id: String(nextId++), properties, associations: body?.associations };
    list.push(created);
    return c.json(created, 201);
  });
  const server = serveFake(app, state) as FakeHubSpotServer;
  server.contacts = objects.contacts;
  server.calls = objects.calls;
  return server;
}
