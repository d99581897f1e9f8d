import { timingSafeEqual } from "node:crypto";
import { Buffer } from "node:buffer";
import { Hono } from "hono";
import type { BreakerRegistry } from "../breaker/mod.ts";
import type { Clock } from "../clock/mod.ts";
import { type BodyVariables, boundedBody } from "./_bounded_body.ts";

/** What the admin routes act on. */
export interface AdminDeps {
  breakers: Pick<BreakerRegistry, "all" | "get" | "has">;
  clock: Clock;
  /** This agent as the ledger names it: who forced a breaker, shown on every agent. */
  operatorAgent: string;
  /** Bearer token of the admin routes; unset: they are off (404). */
  adminToken?: string;
  /** Largest request body accepted. */
  maxBodyBytes: number;
}

/** `POST /breakers/:service/{open,close,reset}` behind a bearer token (mounted at `/admin`). */
export function adminRoutes(deps: AdminDeps): Hono<BodyVariables> {
  const app = new Hono<BodyVariables>();
  app.use("*", boundedBody(deps.maxBodyBytes));
  app.post("/breakers/:service/:action", (c) => {
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
    if (!deps.breakers.has(service)) {
      return c.json({
        error: `no service "${service}"; known: ${
          deps.breakers.all().map((b) => b.service).join(", ")
        }`,
      }, 404);
    }
    const breaker = deps.breakers.get(service);
    switch (c.req.param("action")) {
      case "open":
        breaker.forceOpen("forced open by operator (admin API)", {
          by: deps.operatorAgent,
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
  return app;
}

function sameToken(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
