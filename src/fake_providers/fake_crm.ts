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

/** A generic webhook receiver's error responses. */
export function webhookErrorFor(kind: FaultKind, rule: HttpFaultRule): FakeErrorResponse {
  const error = (code: string, message: string) => ({ error: { code, message } });
  switch (kind) {
    case "rate-limit":
      return {
        status: 429,
        body: error("rate_limited", "Slow down."),
        headers: { "retry-after": String((rule.retryAfterMs ?? 1000) / 1000) },
      };
    case "auth":
      return { status: 401, body: error("unauthorized", "Bad token.") };
    case "invalid-request":
      return { status: 422, body: error("invalid_outcome", "The outcome is missing a field.") };
    case "not-found":
      return { status: 404, body: error("not_found", "No such webhook.") };
    case "quota":
      return { status: 403, body: error("quota", "Quota exceeded.") };
    default:
      return { status: 503, body: error("unavailable", "Receiver is down.") };
  }
}

/** A webhook server that stores outcomes, one per Idempotency-Key. */
export interface FakeWebhookServer extends FakeServer {
  /** Outcomes stored, by Idempotency-Key. */
  outcomes: Map<string, unknown>;
  /** Deliveries that repeated a key already stored. */
  duplicates: number;
}

/**
 * A fake CRM webhook at `/outcomes`: requires an `Idempotency-Key` (and the bearer token when
 * one is set), stores each key once, and answers a repeat with the same record id.
 */
export function startFakeWebhookCrm(options: Partial<FakeOptions> = {}): FakeWebhookServer {
  const state = new FakeProviderState(
    "crm",
    options.faults ?? [],
    options.clock ?? systemClock,
    webhookErrorFor,
  );
  const outcomes = new Map<string, unknown>();
  const ids = new Map<string, string>();
  const app = new Hono();
  const server = serveFake(app, state) as FakeWebhookServer;
  server.outcomes = outcomes;
  server.duplicates = 0;
  app.use("*", async (c, next) => {
    await state.record(c);
    if (options.apiKey && c.req.header("authorization") !== `Bearer ${options.apiKey}`) {
      const { status, body } = webhookErrorFor("auth", {});
      return c.json(body, status as 401);
    }
    return await next();
  });
  app.get("/health", async (c) => (await state.fault(c, true)) ?? c.json({ ok: true }));
  app.post("/outcomes", async (c) => {
    const faulty = await state.fault(c);
    if (faulty) return faulty;
    const key = c.req.header("idempotency-key");
    if (!key) {
      return c.json({ error: { code: "missing_key", message: "Idempotency-Key required" } }, 400);
    }
    if (outcomes.has(key)) {
      server.duplicates++;
    } else {
      outcomes.set(key, state.bodyOf(c));
      ids.set(key, `rec_${outcomes.size}`);
    }
    return (await state.afterWork(c)) ?? c.json({ id: ids.get(key) });
  });
  return server;
}
