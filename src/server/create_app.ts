import { timingSafeEqual } from "node:crypto";
import { Buffer } from "node:buffer";
import { Hono } from "hono";
import type { Agent } from "../agent/mod.ts";
import type { Clock } from "../clock/mod.ts";
import { type CallState, isCallStatus, isSignedByTwilio } from "../services/mod.ts";
import { audioPath, statusCallbackPath } from "../telephony/mod.ts";
import { AgentMetrics, type ProcessIdentity } from "./agent_metrics.ts";
import { agentStatus, readiness, RecentEvents } from "./agent_status.ts";
import { dashboardHtml } from "./dashboard.ts";
import { type BodyVariables, boundedBody } from "./_bounded_body.ts";

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

const audioTypes: Record<string, string> = {
  mp3: "audio/mpeg",
  wav: "audio/wav",
  raw: "application/octet-stream",
};

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

function sameToken(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * The Hono app the agent serves while it runs: `/healthz`, `/readyz`, `/status`, `/metrics`,
 * `/events` (the last 50), the dashboard at `/`, `POST /admin/breakers/:service/{open,close,reset}`
 * behind a bearer token, and for the telephony provider `POST /twilio/status` (signed status
 * callbacks) and `GET /audio/:name` (signed, expiring audio links).
 */
export function createStatusApp(deps: AppDeps): StatusApp {
  const { agent, clock } = deps;
  const startedAt = clock.now();
  const metrics = new AgentMetrics(agent, { version: deps.version, instance: deps.instance });
  const recent = new RecentEvents(agent);
  const app = new Hono<BodyVariables>();

  app.get("/healthz", (c) => c.json({ status: "ok" }));
  app.get("/readyz", (c) => {
    const { ready, reasons } = readiness(agent);
    return c.json({ ready, reasons }, ready ? 200 : 503);
  });
  // Under a scrape storm each document is built at most once per cacheMs, so the campaign
  // keeps the event loop.
  const ttl = deps.cacheMs ?? 250;
  const status = new Cached(
    clock,
    ttl,
    async () =>
      encoder.encode(
        JSON.stringify(
          await agentStatus(agent, {
            clock,
            version: deps.version,
            instance: deps.instance,
            startedAt,
          }),
        ),
      ),
  );
  const exposition = new Cached(clock, ttl, async () => {
    await metrics.refresh(agent);
    return encoder.encode(metrics.render());
  });
  app.get("/status", async (c) => c.body(await status.get(), 200, jsonType));
  app.get("/metrics", async (c) => c.body(await exposition.get(), 200, metricsType));
  app.get("/events", (c) => c.json(recent.list()));
  app.get("/", (c) => c.html(dashboardHtml));

  app.use("/admin/*", boundedBody(deps.maxBodyBytes ?? 1024));
  app.post("/admin/breakers/:service/:action", (c) => {
    if (!deps.adminToken) {
      return c.json({ error: "admin routes are off: set the admin token variable" }, 404);
    }
    // The scheme is case-insensitive (RFC 9110): "bearer x" is as good as "Bearer x".
    const given = /^bearer\s+(\S+)\s*$/i.exec(c.req.header("authorization") ?? "")?.[1] ?? "";
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
        breaker.forceOpen("forced open by operator (admin API)", {
          by: agent.store.lease.owner,
          at: deps.clock.now(),
        });
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
  // What the telephony provider calls: status callbacks (signed by Twilio) and audio files
  // (links signed by us). Both answer only when the agent hands out public links.
  app.use(`${statusCallbackPath}*`, boundedBody(16 * 1024));
  app.post(statusCallbackPath, (c) => {
    const links = agent.callLinks;
    if (!links || !deps.twilioAuthToken) {
      return c.json({ error: "status callbacks are off (no publicBaseUrl or Twilio)" }, 404);
    }
    const url = new URL(c.req.url);
    const params = new URLSearchParams(new TextDecoder().decode(c.get("body")));
    const signed = isSignedByTwilio(
      deps.twilioAuthToken,
      links.publicUrlOf(url.pathname + url.search),
      params,
      c.req.header("x-twilio-signature"),
    );
    if (!signed) return c.json({ error: "missing or wrong X-Twilio-Signature" }, 403);
    const sid = params.get("CallSid") ?? "";
    const status = params.get("CallStatus") ?? "";
    if (!/^CA\w{1,64}$/.test(sid) || !isCallStatus(status)) {
      return c.json({ error: "CallSid and a known CallStatus are required" }, 400);
    }
    const state: CallState = { sid, status };
    const duration = Number(params.get("CallDuration") ?? "");
    if (params.has("CallDuration") && Number.isFinite(duration)) state.durationS = duration;
    const answeredBy = params.get("AnsweredBy");
    if (answeredBy) state.answeredBy = answeredBy;
    agent.calls.publish(state, url.searchParams.get("dial") ?? undefined);
    return c.body(null, 204);
  });
  app.get(`${audioPath}:name`, async (c) => {
    const links = agent.callLinks;
    const name = c.req.param("name");
    if (!links || !deps.openAudio) return c.json({ error: "audio links are off" }, 404);
    if (!/^[\w.-]{1,200}$/.test(name) || name.startsWith(".")) {
      return c.json({ error: "not found" }, 404);
    }
    if (!links.verifyAudio(name, c.req.query("exp"), c.req.query("sig"))) {
      return c.json({ error: "link expired or not signed by this agent" }, 403);
    }
    try {
      const body = await deps.openAudio(name);
      const type = audioTypes[name.split(".").at(-1) ?? ""] ?? "application/octet-stream";
      return c.body(body, 200, { "content-type": type, "cache-control": "private, no-store" });
    } catch {
      return c.json({ error: "not found" }, 404);
    }
  });
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
    },
  };
}
