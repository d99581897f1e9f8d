import type { ErrorTable } from "../http/mod.ts";

/**
 * OpenAI-compatible Chat Completions errors (as published by the provider; summarised in `docs/providers.md`). A 429 is read by its
 * code: `rate_limit_exceeded` waits, `insufficient_quota` stops (what official SDKs miss).
 */
export const openAiErrors: ErrorTable = {
  provider: "openai",
  rules: [
    { status: 429, codes: ["insufficient_quota", "credit_balance_exhausted"], kind: "quota" },
    { status: 429, kind: "rate-limit" },
    { status: [400, 422], kind: "invalid-request" },
    { status: [401, 403], kind: "auth" },
    { status: 404, kind: "not-found", scope: "service" },
    { status: [408, 409], kind: "unavailable" },
    { status: [500, 502, 503, 504], kind: "unavailable" },
  ],
  readError(json) {
    const error = (json as { error?: { code?: unknown; type?: unknown; message?: unknown } })
      ?.error;
    if (typeof error !== "object" || error === null) return {};
    const code = typeof error.code === "string" ? error.code : undefined;
    const type = typeof error.type === "string" ? error.type : undefined;
    // A quota error sometimes carries its name only in `type`.
    const quotaType = type === "insufficient_quota" || type === "credit_balance_exhausted";
    return {
      code: quotaType ? type : code ?? type,
      message: typeof error.message === "string" ? error.message : undefined,
    };
  },
};
