import { timingSafeEqual } from "node:crypto";
import { Buffer } from "node:buffer";
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { Agent } from "../agent/mod.ts";
import type { Clock } from "../clock/mod.ts";
import { AgentMetrics } from "./agent_metrics.ts";
import { agentStatus, readiness, RecentEvents } from "./agent_status.ts";
import { dashboardHtml } from "./dashboard.ts";

/** What the status app needs. */
export interface AppDeps {
  agent: Agent;
  clock: Clock;
  version: string;
  /** Bearer token of the admin routes; unset: the admin routes are off (404). */
  adminToken?: string;
  /** Largest admin request body accepted. @default 1024 */
  maxBodyBytes?: number;
}

/** The status app and what must be disposed with it (its event subscriptions). */
export interface StatusApp extends Disposable {
  app: Hono;
  metrics: AgentMetrics;
}

function sameToken(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * The Hono app the agent serves while it runs: `/healthz`, `/readyz`, `/status`, `/metrics`,
 * the dashboard at `/`, and `POST /admin/breakers/:service/{open,close,reset}` behind a
 * bearer token.
 */
export function createStatusApp(deps: AppDeps): StatusApp {
  const { agent, clock } = deps;
  const startedAt = clock.now();
  const metrics = new AgentMetrics(agent);
  const recent = new RecentEvents(agent);
  const app = new Hono();

  app.get("/healthz", (c) => c.json({ status: "ok" }));
  app.get("/readyz", (c) => {
    const { ready, reasons } = readiness(agent);
    return c.json({ ready, reasons }, ready ? 200 : 503);
  });
  app.get(
    "/status",
    async (c) =>
      c.json(await agentStatus(agent, { clock, version: deps.version, startedAt, recent })),
  );
  app.get("/metrics", async (c) => {
    await metrics.refresh(agent);
    return c.body(metrics.render(), 200, {
      "content-type": "text/plain; version=0.0.4; charset=utf-8",
    });
  });
  app.get("/", (c) => c.html(dashboardHtml));

  app.use(
    "/admin/*",
    bodyLimit({
      maxSize: deps.maxBodyBytes ?? 1024,
      onError: (c) => c.json({ error: "request body too large" }, 413),
    }),
  );
  app.post("/admin/breakers/:service/:action", (c) => {
    if (!deps.adminToken) {
      return c.json({ error: "admin routes are off: set the admin token variable" }, 404);
    }
    const header = c.req.header("authorization") ?? "";
    const given = header.startsWith("Bearer ") ? header.slice(7) : "";
    if (!given || !sameToken(given, deps.adminToken)) {
      return c.json({ error: "missing or wrong bearer token" }, 401, {
        "www-authenticate": "Bearer",
      });
    }
    const service = c.req.param("service");
    if (!agent.breakers.has(service)) {
      return c.json({
        error: `no service "${service}"; known: ${
          agent.breakers.all().map((b) => b.service).join(", ")
        }`,
      }, 404);
    }
    const breaker = agent.breakers.get(service);
    switch (c.req.param("action")) {
      case "open":
        breaker.forceOpen("forced open by operator (admin API)");
        break;
      case "close":
      case "reset":
        breaker.reset(
          `${c.req.param("action") === "close" ? "closed" : "reset"} by operator (admin API)`,
        );
        break;
      default:
        return c.json({ error: "action must be open, close or reset" }, 404);
    }
    return c.json({ service, state: breaker.state });
  });
  app.notFound((c) => c.json({ error: "not found" }, 404));

  return {
    app,
    metrics,
    [Symbol.dispose]() {
      metrics[Symbol.dispose]();
      recent[Symbol.dispose]();
    },
  };
}
