import type { ErrorTable } from "../http/mod.ts";

/**
 * Telegram Bot API errors (as published by the provider; summarised in `docs/providers.md`): `{ok:false, error_code, description,
 * parameters:{retry_after, migrate_to_chat_id}}`. 429 and 5xx are transient; 400 (chat not
 * found, message too long, bad markup), 401, 403 (bot blocked) and 404 are permanent.
 */
export const telegramErrors: ErrorTable = {
  provider: "telegram",
  rules: [
    { status: 429, kind: "rate-limit" },
    { status: [401, 404], kind: "auth" },
    { status: 403, kind: "auth" },
    { status: 400, kind: "invalid-request", scope: "service" },
    { status: [500, 502, 503, 504], kind: "unavailable" },
  ],
  readError(json) {
    const body = json as { description?: unknown; parameters?: { migrate_to_chat_id?: unknown } };
    const migrated = body?.parameters?.migrate_to_chat_id;
    return {
      code: migrated !== undefined ? "migrate_to_chat_id" : undefined,
      message: typeof body?.description === "string" ? body.description : undefined,
    };
  },
  retryAfterMs(json) {
    const seconds = (json as { parameters?: { retry_after?: unknown } })?.parameters?.retry_after;
    return typeof seconds === "number" ? seconds * 1000 : undefined;
  },
};
