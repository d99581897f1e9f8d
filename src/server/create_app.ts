import { chainsOf } from "../config/mod.ts";
import { Hono } from "hono";
import type { Agent } from "../agent/mod.ts";
import type { Clock } from "../clock/mod.ts";
import { adminRoutes } from "./admin_routes.ts";
import { AgentMetrics, type ProcessIdentity } from "./agent_metrics.ts";
import { agentStatus, readiness } from "./agent_status.ts";
import { RecentEvents } from "./recent_events.ts";
import { StatusHistory } from "./status_history.ts";
import { dashboardHtml } from "./dashboard.ts";
import { telephonyRoutes } from "./telephony_routes.ts";
import type { BodyVariables } from "./_bounded_body.ts";

/** What the status app needs. */
export interface AppDeps {
  agent: Agent;
  clock: Clock;
  version: string;
  /** This process (pid and host, as the ledger's lock names it), shown in `/status` and
   * `/metrics` so an operator can tell agents apart. */
  instance?: ProcessIdentity;
  /** Bearer token of the admin routes; unset: the admin routes are off (404). */
  adminToken?: string;
  /** Largest admin request body accepted. @default 1024 */
  maxBodyBytes?: number;
  /** `/status` and `/metrics` are recomputed at most this often under load. @default 250 */
  cacheMs?: number;
  /**
   * Host names (the `Host` header, without the port) the app answers; any other gets 421.
   * A server bound to loopback answers only loopback names, so a web page that rebinds its own
   * domain to 127.0.0.1 cannot read `/status`. @default any
   */
  allowedHosts?: readonly string[];
  /** Checks `X-Twilio-Signature` on status callbacks; unset: the callback route is off. */
  twilioAuthToken?: string;
  /** Opens an audio file by name (from the TTS audio folder); unset: no audio served. */
  openAudio?: (name: string) => Promise<ReadableStream<Uint8Array>>;
}

/** The host names a loopback-bound server answers to. */
export function loopbackHosts(host: string): string[] | undefined {
  const loopback = host === "localhost" || host === "::1" || /^127\.\d+\.\d+\.\d+$/.test(host);
  return loopback ? [...new Set(["localhost", "127.0.0.1", "[::1]", host])] : undefined;
}

/**
 * Keeps an async computation's last result for `ttlMs` of clock time: while fresh it is
 * served synchronously; concurrent callers of a stale one share one recomputation.
 */
class Cached<T> {
  #value?: { at: number; result: T };
  #pending?: Promise<T>;
  constructor(readonly clock: Clock, readonly ttlMs: number, readonly compute: () => Promise<T>) {}

  /** The fresh value, if there is one. */
  fresh(): T | undefined {
    return this.#value && this.clock.now() - this.#value.at < this.ttlMs
      ? this.#value.result
      : undefined;
  }

  get(): Promise<T> {
    const fresh = this.fresh();
    if (fresh !== undefined) return Promise.resolve(fresh);
    this.#pending ??= this.compute().then((result) => {
      this.#value = { at: this.clock.now(), result };
      return result;
    }).finally(() => (this.#pending = undefined));
    return this.#pending;
  }
}

const encoder = new TextEncoder();
const jsonType = { "content-type": "application/json" };
const metricsType = { "content-type": "text/plain; version=0.0.4; charset=utf-8" };

/** The status app and what must be disposed with it (its event subscriptions). */
export interface StatusApp extends Disposable {
  app: Hono<BodyVariables>;
  metrics: AgentMetrics;
  /** What to serve: the app, with a fast path for fresh `/status` and `/metrics`. */
  fetch(request: Request): Response | Promise<Response>;
}

/** The host name of a `Host` header, without its port: `[::1]:8080` is `[::1]`. */
function hostName(header: string | null): string {
  if (!header) return "";
  const host = header.trim().toLowerCase();
  return host.startsWith("[") ? host.slice(0, host.indexOf("]") + 1) : host.split(":")[0];
}

/**
 * The Hono app the agent serves while it runs: the status routes (`/healthz`, `/readyz`,
 * `/status`, `/metrics`, `/events`, `/history`, the dashboard at `/`), the admin routes under `/admin`
 * (see {@link adminRoutes}) and the telephony provider's (see {@link telephonyRoutes}), each
 * handed only what it reads or acts on.
 */
export function createStatusApp(deps: AppDeps): StatusApp {
  const { agent, clock } = deps;
  const startedAt = clock.now();
  const metrics = new AgentMetrics(agent, { version: deps.version, instance: deps.instance });
  const recent = new RecentEvents(agent.events);
  const history = new StatusHistory(agent.events, {
    now: () => clock.now(),
    startedAt: agent.startedAt,
    initial: Object.fromEntries(agent.breakers.all().map((b) => [b.service, b.state])),
  });
  const sources = {
    campaign: agent.config.campaign.name,
    counts: () => agent.store.counts(agent.config.campaign.name),
    breakers: agent.breakers,
    health: agent.health,
    alerts: agent.alerts,
    sheets: agent.sheets,
    chains: chainsOf(agent.config),
    served: () => metrics.served(),
    spend: async () => ({
      byStep: await agent.store.spendOf(agent.config.campaign.name),
      currency: agent.config.pricing.currency,
    }),
    calls: {
      callsPerSecond: agent.config.services.telephony.kind === "twilio"
        ? agent.config.services.telephony.callsPerSecond
        : 0,
      queueTimeMs: () => agent.calls.queueTimeMs(),
    },
  };
  const app = new Hono<BodyVariables>();

  app.get("/healthz", (c) => c.json({ status: "ok" }));
  app.get("/readyz", (c) => {
    const { ready, reasons } = readiness(agent.breakers, sources.chains);
    return c.json({ ready, reasons }, ready ? 200 : 503);
  });
  // Under a scrape storm each document is built at most once per cacheMs, so the campaign
  // keeps the event loop.
  const ttl = deps.cacheMs ?? 250;
  const status = new Cached(clock, ttl, async () =>
    encoder.encode(JSON.stringify(
      await agentStatus(sources, {
        clock,
        version: deps.version,
        instance: deps.instance,
        startedAt,
      }),
    )));
  const exposition = new Cached(clock, ttl, async () => {
    await metrics.refresh(agent);
    return encoder.encode(metrics.render());
  });
  app.get("/status", async (c) => c.body(await status.get(), 200, jsonType));
  app.get("/metrics", async (c) => c.body(await exposition.get(), 200, metricsType));
  app.get("/events", (c) => c.json(recent.list()));
  app.get("/history", (c) => c.json(history.series()));
  app.get("/", (c) => c.html(dashboardHtml));
  app.route(
    "/admin",
    adminRoutes({
      breakers: agent.breakers,
      clock,
      operatorAgent: agent.store.lease.owner,
      adminToken: deps.adminToken,
      maxBodyBytes: deps.maxBodyBytes ?? 1024,
    }),
  );
  app.route(
    "/",
    telephonyRoutes({
      callLinks: agent.callLinks,
      calls: agent.calls,
      twilioAuthToken: deps.twilioAuthToken,
      openAudio: deps.openAudio,
      instructions: agent.callInstructions,
    }),
  );
  app.notFound((c) => c.json({ error: "not found" }, 404));

  const allowed = deps.allowedHosts ? new Set(deps.allowedHosts) : undefined;
  const hot: Record<string, [Cached<Uint8Array>, Record<string, string>]> = {
    "/status": [status, jsonType],
    "/metrics": [exposition, metricsType],
  };
  return {
    app,
    metrics,
    fetch(request: Request) {
      if (allowed && !allowed.has(hostName(request.headers.get("host")))) {
        return Response.json({ error: "misdirected request: unknown Host" }, { status: 421 });
      }
      // Scrapes of a fresh document skip routing altogether: the same bytes Hono would send.
      if (request.method === "GET") {
        const path = request.url.slice(request.url.indexOf("/", 8));
        const route = hot[path];
        const body = route?.[0].fresh();
        if (body) return new Response(body as Uint8Array<ArrayBuffer>, { headers: route![1] });
      }
      return app.fetch(request);
    },
    [Symbol.dispose]() {
      metrics[Symbol.dispose]();
      recent[Symbol.dispose]();
      history[Symbol.dispose]();
    },
  };
}
