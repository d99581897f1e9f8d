import { createVerify } from "node:crypto";
import { Buffer } from "node:buffer";
import { Hono } from "hono";
import { type Clock, systemClock } from "../clock/mod.ts";
import type { FaultKind } from "../services/mod.ts";
import {
  type FakeErrorResponse,
  FakeProviderState,
  type FakeServer,
  type HttpFaultRule,
  serveFake,
} from "./fake_server.ts";

/** Google's error body: `{error:{code, message, status}}`. */
export function sheetsErrorFor(kind: FaultKind): FakeErrorResponse {
  const error = (code: number, status: string, message: string) => ({
    status: code,
    body: { error: { code, message, status } },
  });
  switch (kind) {
    case "rate-limit":
      return error(429, "RESOURCE_EXHAUSTED", "Quota exceeded for quota metric 'Write requests'.");
    case "auth":
      return error(403, "PERMISSION_DENIED", "The caller does not have permission.");
    case "invalid-request":
      return error(400, "INVALID_ARGUMENT", "Your input contains more than 50000 characters.");
    case "not-found":
      return error(404, "NOT_FOUND", "Requested entity was not found.");
    default:
      return error(503, "UNAVAILABLE", "The service is currently unavailable.");
  }
}

/** A running fake Google token endpoint and Sheets API. */
export interface FakeSheetsServer extends FakeServer {
  /** The token endpoint's URL (`<url>/token`). */
  tokenUrl: string;
  /** Every row appended, in order: the sheet's content. */
  rows: unknown[][];
  /** Times each append was applied (clock time). */
  appendedAt: number[];
}

/**
 * A fake of Google's OAuth token endpoint and the Sheets `values.append` / `values.get` API
 * on 127.0.0.1: it checks the service account's RS256 JWT against `publicKey` and the bearer
 * token it issued, keeps the rows, and follows its fault script on appends (which may apply an
 * append and then drop or hang, as a timeout after Google appended does).
 */
export function startFakeSheets(options: {
  publicKey: string;
  faults?: readonly HttpFaultRule[];
  /** Faults of the token endpoint. */
  tokenFaults?: readonly HttpFaultRule[];
  clock?: Clock;
}): FakeSheetsServer {
  const clock = options.clock ?? systemClock;
  const state = new FakeProviderState("sheets", options.faults ?? [], clock, sheetsErrorFor);
  const tokens = new FakeProviderState("token", options.tokenFaults ?? [], clock, sheetsErrorFor);
  const issued = new Set<string>();
  const rows: unknown[][] = [];
  const appendedAt: number[] = [];
  const app = new Hono();
  app.post("/token", async (c) => {
    const form = new URLSearchParams(await c.req.text());
    const faulty = await tokens.fault(c);
    if (faulty) return faulty;
    const [header, claims, signature] = (form.get("assertion") ?? "").split(".");
    const valid = signature !== undefined &&
      createVerify("RSA-SHA256").update(`${header}.${claims}`)
        .verify(options.publicKey, Buffer.from(signature, "base64url"));
    if (!valid) {
      return c.json({ error: "invalid_grant", error_description: "Invalid JWT Signature." }, 400);
    }
    const token = `ya29.fake-${issued.size + 1}`;
    issued.add(token);
    return c.json({ access_token: token, expires_in: 3600, token_type: "Bearer" });
  });
  app.all("/v4/*", async (c) => {
    await state.record(c);
    const bearer = c.req.header("authorization")?.replace(/^Bearer /, "") ?? "";
    if (!issued.has(bearer)) {
      return c.json({
        error: { code: 401, message: "Invalid Credentials", status: "UNAUTHENTICATED" },
      }, 401);
    }
    const path = decodeURIComponent(new URL(c.req.url).pathname);
    if (c.req.method === "GET") {
      return c.json({ values: rows.map((row) => [row[0]]) });
    }
    if (!path.endsWith(":append")) return c.json({ error: { code: 404 } }, 404);
    const faulty = await state.fault(c);
    if (faulty) return faulty;
    const body = state.bodyOf(c) as { values?: unknown[][] } | undefined;
    rows.push(...(body?.values ?? []));
    appendedAt.push(clock.now());
    return (await state.afterWork(c)) ??
      c.json({ updates: { updatedRows: body?.values?.length ?? 0 } });
  });
  const server = serveFake(app, state) as FakeSheetsServer;
  server.tokenUrl = `${server.url}/token`;
  server.rows = rows;
  server.appendedAt = appendedAt;
  return server;
}
