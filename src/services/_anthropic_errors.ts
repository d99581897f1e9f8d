import type { ErrorTable } from "../http/mod.ts";

/** What an Anthropic error says when the organisation's or workspace's spend limit stops it. */
const spendLimit = /spend(ing)? limit|usage limit|credit balance/i;

/**
 * Anthropic Messages API errors (as published by the provider; summarised in
 * `docs/providers.md`): `{type: "error", error: {type, message, details?}}`. A 429 is read by
 * `error.details.error_code`: `enforced_spend_limit_reached` stops until the month turns, any
 * other waits; a 400 that names the spend limit stops too. 529 is Anthropic overloaded for
 * everyone: transient, retried with backoff.
 */
export const anthropicErrors: ErrorTable = {
  provider: "anthropic",
  rules: [
    { status: 429, codes: ["enforced_spend_limit_reached"], kind: "quota" },
    { status: 429, kind: "rate-limit" },
    { status: 402, kind: "quota" },
    { status: 400, codes: ["spend_limit_reached"], kind: "quota" },
    { status: [400, 413], kind: "invalid-request" },
    { status: [401, 403], kind: "auth" },
    { status: 404, kind: "not-found", scope: "service" },
    { status: 409, kind: "unavailable" },
    { status: [500, 502, 503, 504, 529], kind: "unavailable" },
  ],
  readError(json) {
    const error = (json as { error?: Record<string, unknown> })?.error;
    if (typeof error !== "object" || error === null) return {};
    const type = typeof error.type === "string" ? error.type : undefined;
    const message = typeof error.message === "string" ? error.message : undefined;
    const details = error.details as { error_code?: unknown } | undefined;
    const detailCode = typeof details?.error_code === "string" ? details.error_code : undefined;
    const code = detailCode ??
      (type === "invalid_request_error" && message !== undefined && spendLimit.test(message)
        ? "spend_limit_reached"
        : type);
    return { code, message };
  },
};
