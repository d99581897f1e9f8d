import { Buffer } from "node:buffer";
import { createSign } from "node:crypto";
import type { Clock } from "../clock/mod.ts";
import { ConfigError, ServiceUnavailableError } from "../errors.ts";
import { type ErrorTable, HttpClient, type HttpDeps } from "../http/mod.ts";

/** The fields of a Google service-account JSON key the agent uses. */
export interface ServiceAccountKey {
  client_email: string;
  private_key: string;
  token_uri?: string;
}

/** Parses a service-account key; a ConfigError names what is missing (never the key itself). */
export function parseServiceAccountKey(text: string, source: string): ServiceAccountKey {
  let key: Partial<ServiceAccountKey>;
  try {
    key = JSON.parse(text);
  } catch {
    throw new ConfigError([`${source}: not valid JSON; use the service account's JSON key file`]);
  }
  const problems: string[] = [];
  if (typeof key.client_email !== "string" || !key.client_email.includes("@")) {
    problems.push(`${source}: client_email is missing; use the service account's JSON key file`);
  }
  if (typeof key.private_key !== "string" || !key.private_key.includes("PRIVATE KEY")) {
    problems.push(`${source}: private_key is missing or not a PEM key`);
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return key as ServiceAccountKey;
}

const base64url = (data: string | Uint8Array) => Buffer.from(data).toString("base64url");

/** The scope of the Sheets API. */
export const sheetsScope = "https://www.googleapis.com/auth/spreadsheets";

/**
 * A JWT for Google's OAuth token endpoint, signed RS256 with the service account's key by
 * node:crypto (OpenSSL), not by hand: header `{alg:RS256, typ:JWT}`, claims `iss`, `scope`,
 * `aud`, `iat`, `exp` (one hour).
 */
export function signServiceAccountJwt(
  key: ServiceAccountKey,
  audience: string,
  nowMs: number,
): string {
  const iat = Math.floor(nowMs / 1000);
  const header = base64url(JSON.stringify({ alg: "RS256", typ: "JWT" }));
  const claims = base64url(JSON.stringify({
    iss: key.client_email,
    scope: sheetsScope,
    aud: audience,
    iat,
    exp: iat + 3600,
  }));
  const signature = createSign("RSA-SHA256").update(`${header}.${claims}`).sign(key.private_key);
  return `${header}.${claims}.${base64url(signature)}`;
}

const tokenErrors: ErrorTable = {
  provider: "google-oauth",
  // 400 invalid_grant: bad key or clock skew, permanent.
  rules: [
    { status: [400, 401, 403], kind: "auth" },
    { status: 429, kind: "rate-limit" },
    { status: [500, 502, 503, 504], kind: "unavailable" },
  ],
  readError(json) {
    const body = json as { error?: unknown; error_description?: unknown };
    return {
      code: typeof body?.error === "string" ? body.error : undefined,
      message: typeof body?.error_description === "string" ? body.error_description : undefined,
    };
  },
};

/**
 * An access token for the service account, cached and refreshed a minute before it expires.
 * `invalidate()` forces a new one (after a 401).
 */
export class GoogleAccessToken {
  readonly #key: ServiceAccountKey;
  readonly #http: HttpClient;
  readonly #clock: Clock;
  readonly #audience: string;
  #token?: { value: string; expiresAt: number };
  #pending?: Promise<string>;

  constructor(
    key: ServiceAccountKey,
    options: { tokenUrl: string },
    deps: HttpDeps,
  ) {
    this.#key = key;
    this.#clock = deps.clock;
    this.#audience = options.tokenUrl;
    this.#http = new HttpClient({
      service: "sheets",
      baseUrl: options.tokenUrl,
      errors: tokenErrors,
      secrets: [key.private_key],
    }, deps);
  }

  /** A valid token: the cached one, or a new one. Concurrent callers share one request. */
  get(signal?: AbortSignal): Promise<string> {
    const now = this.#clock.now();
    if (this.#token && now < this.#token.expiresAt - 60_000) {
      return Promise.resolve(this.#token.value);
    }
    this.#pending ??= this.#fetch(signal).finally(() => (this.#pending = undefined));
    return this.#pending;
  }

  invalidate(): void {
    this.#token = undefined;
  }

  async #fetch(signal?: AbortSignal): Promise<string> {
    const assertion = signServiceAccountJwt(this.#key, this.#audience, this.#clock.now());
    const body = await this.#http.json<{ access_token?: unknown; expires_in?: unknown }>({
      method: "POST",
      idempotent: true, // a second token is harmless
      path: "",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        grant_type: "urn:ietf:params:oauth:grant-type:jwt-bearer",
        assertion,
      }).toString(),
      signal,
    });
    if (typeof body.access_token !== "string") {
      throw new ServiceUnavailableError({
        service: "sheets",
        code: "malformed_response",
        message: "token response without access_token",
      });
    }
    const expiresIn = typeof body.expires_in === "number" ? body.expires_in : 3600;
    this.#token = { value: body.access_token, expiresAt: this.#clock.now() + expiresIn * 1000 };
    return body.access_token;
  }
}
