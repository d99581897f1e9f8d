import type { ErrorTable } from "../http/mod.ts";

/**
 * Twilio Calls API errors (as published by the provider; summarised in `docs/providers.md`), read by Twilio's numeric `code`: a bad
 * `To` is this contact's; a bad `From`, an unverified number on a trial account or bad
 * credentials stop every call; 429 / 20429 waits.
 */
export const twilioErrors: ErrorTable = {
  provider: "twilio",
  rules: [
    { status: 429, kind: "rate-limit" },
    { status: [400, 403], codes: ["20429"], kind: "rate-limit" },
    { status: [400, 403], codes: ["21211", "21217", "21214"], kind: "invalid-request" },
    // Geo or account permission for this destination: only this contact.
    { status: [400, 403], codes: ["21215", "21216"], kind: "invalid-request" },
    // An unverified To on a trial account, or a caller number that is not ours: every call.
    {
      status: [400, 403],
      codes: ["21219", "21210", "21212"],
      kind: "invalid-request",
      scope: "service",
    },
    { status: [401, 403], kind: "auth" },
    { status: 404, kind: "not-found" },
    { status: [500, 502, 503, 504], kind: "unavailable" },
  ],
  readError(json) {
    const body = json as { code?: unknown; message?: unknown };
    const code = typeof body?.code === "number" || typeof body?.code === "string"
      ? String(body.code)
      : undefined;
    return { code, message: typeof body?.message === "string" ? body.message : undefined };
  },
};
