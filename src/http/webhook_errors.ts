import type { ErrorTable } from "./error_table.ts";

/**
 * A generic webhook receiver: 408, 429 and 5xx are transient; 401/403 mean our credentials are
 * wrong and 404 that the URL is, for every contact; other 4xx reject this outcome only.
 */
export const webhookErrors: ErrorTable = {
  provider: "webhook",
  rules: [
    { status: 429, kind: "rate-limit" },
    { status: 408, kind: "unavailable" },
    { status: [401, 403], kind: "auth" },
    { status: [404, 410], kind: "not-found", scope: "service" },
  ],
  readError(json) {
    const body = json as { error?: unknown; message?: unknown; code?: unknown };
    if (typeof body?.error === "object" && body.error !== null) {
      const error = body.error as { code?: unknown; message?: unknown };
      return {
        code: typeof error.code === "string" ? error.code : undefined,
        message: typeof error.message === "string" ? error.message : undefined,
      };
    }
    return {
      code: typeof body?.code === "string" ? body.code : undefined,
      message: typeof body?.message === "string"
        ? body.message
        : typeof body?.error === "string"
        ? body.error
        : undefined,
    };
  },
};
