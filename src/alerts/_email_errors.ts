import type { ErrorTable } from "../http/mod.ts";

/**
 * Resend errors (as published by the provider; summarised in `docs/providers.md`): `{name, message, statusCode}`. A 429 is read by
 * its name: `rate_limit_exceeded` waits, a daily or monthly quota stops.
 */
export const resendErrors: ErrorTable = {
  provider: "resend",
  rules: [
    { status: 429, codes: ["daily_quota_exceeded", "monthly_quota_exceeded"], kind: "quota" },
    { status: 429, kind: "rate-limit" },
    { status: [401, 403], kind: "auth" },
    { status: [400, 422], kind: "invalid-request", scope: "service" },
    { status: [500, 502, 503, 504], kind: "unavailable" },
  ],
  readError(json) {
    const body = json as { name?: unknown; message?: unknown };
    return {
      code: typeof body?.name === "string" ? body.name : undefined,
      message: typeof body?.message === "string" ? body.message : undefined,
    };
  },
};

/** SendGrid v3 errors: `{errors:[{message, field, help}]}`. */
export const sendGridErrors: ErrorTable = {
  provider: "sendgrid",
  rules: [
    { status: 429, kind: "rate-limit" },
    { status: [401, 403], kind: "auth" },
    { status: [400, 413], kind: "invalid-request", scope: "service" },
    { status: [500, 502, 503, 504], kind: "unavailable" },
  ],
  readError(json) {
    const first = (json as { errors?: { message?: unknown; field?: unknown }[] })?.errors?.[0];
    return {
      code: typeof first?.field === "string" ? first.field : undefined,
      message: typeof first?.message === "string" ? first.message : undefined,
    };
  },
};
