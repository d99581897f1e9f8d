import type { ErrorTable } from "../http/mod.ts";

/**
 * HubSpot CRM v3 errors (as published by the provider; summarised in `docs/providers.md`). A 429's `policyName` decides: the
 * ten-second window is transient, the daily quota is gone until midnight.
 */
export const hubSpotErrors: ErrorTable = {
  provider: "hubspot",
  rules: [
    { status: 429, codes: ["DAILY"], kind: "quota" },
    {
      status: 429,
      codes: ["TEN_SECONDLY_ROLLING", "SECONDLY"],
      kind: "rate-limit",
      retryAfterMs: 10_000,
    },
    { status: 429, kind: "rate-limit" },
    { status: 400, kind: "invalid-request" },
    { status: [401, 403], kind: "auth" },
    { status: 404, kind: "not-found" },
    { status: [500, 502, 503, 504], kind: "unavailable" },
  ],
  readError(json) {
    const body = json as { policyName?: unknown; category?: unknown; message?: unknown };
    const code = typeof body?.policyName === "string"
      ? body.policyName
      : typeof body?.category === "string"
      ? body.category
      : undefined;
    return { code, message: typeof body?.message === "string" ? body.message : undefined };
  },
};
