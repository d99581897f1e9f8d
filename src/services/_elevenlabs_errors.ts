import type { ErrorTable } from "../http/mod.ts";

/**
 * ElevenLabs text-to-speech errors (as published by the provider; summarised in `docs/providers.md`). The code is
 * `detail.code ?? detail.status`; 422 carries a list of validation problems instead.
 */
export const elevenLabsErrors: ErrorTable = {
  provider: "elevenlabs",
  rules: [
    {
      status: 429,
      codes: [
        "too_many_concurrent_requests",
        "concurrent_limit_exceeded",
        "system_busy",
        "rate_limit_exceeded",
      ],
      kind: "rate-limit",
    },
    { status: [400, 401], codes: ["quota_exceeded"], kind: "quota" },
    { status: 401, codes: ["invalid_api_key"], kind: "auth" },
    { status: 400, codes: ["max_character_limit_exceeded"], kind: "invalid-request" },
    { status: 422, kind: "invalid-request" },
    { status: [400, 401], codes: ["voice_not_found"], kind: "not-found", scope: "service" },
    { status: 403, codes: ["only_for_creator+"], kind: "auth" },
    { status: [500, 502, 503, 504], kind: "unavailable" },
  ],
  readError(json) {
    const detail = (json as { detail?: unknown })?.detail;
    if (Array.isArray(detail)) {
      const first = detail[0] as { msg?: unknown; loc?: unknown } | undefined;
      return {
        code: "validation_error",
        message: typeof first?.msg === "string"
          ? `${JSON.stringify(first.loc)}: ${first.msg}`
          : undefined,
      };
    }
    if (typeof detail !== "object" || detail === null) return {};
    const { code, status, message } = detail as Record<string, unknown>;
    const read = typeof code === "string" ? code : typeof status === "string" ? status : undefined;
    return { code: read, message: typeof message === "string" ? message : undefined };
  },
};
