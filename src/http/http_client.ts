import type { Clock } from "../clock/mod.ts";
import { ConnectionError, NotFoundError, ServiceUnavailableError } from "../errors.ts";
import { redactText } from "../redact/mod.ts";
import { classifyResponse, type ErrorTable } from "./error_table.ts";
import { BodyTooLargeError, readBodyCapped } from "./read_body.ts";
import { parseRetryAfter } from "./retry_after.ts";

/** How to reach one provider. */
export interface HttpClientOptions {
  /** Service name for errors and logs (`llm`, `tts`, `crm`). */
  service: string;
  /** Prefix of every request path, e.g. `https://api.openai.com/v1`. */
  baseUrl: string;
  /** Headers sent with every request (auth goes here). */
  headers?: Record<string, string>;
  /** The provider's error table. */
  errors: ErrorTable;
  /**
   * Values that must never appear in an error message: this client's key or token, or (read
   * live) every secret the agent knows, so one provider echoing another's key leaks nothing.
   */
  secrets?: readonly string[] | (() => readonly string[]);
  /** Whether every URL of this provider carries a secret (Telegram's bot token is in its
   * path): each request then goes out through `untracedFetch`. @default false */
  privateUrls?: boolean;
  /** Largest success body read. @default 10 MiB */
  maxBodyBytes?: number;
  /** Largest error body read; longer ones are cut. @default 16 KiB */
  maxErrorBodyBytes?: number;
}

/** One request. `json` is sent as a JSON body. */
export interface HttpRequest {
  method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  /** Appended to the base URL. */
  path: string;
  query?: Record<string, string>;
  headers?: Record<string, string>;
  json?: unknown;
  body?: BodyInit;
  signal?: AbortSignal;
  /** Whether its URL carries a contact's data (a phone number in the query): it goes out
   * through `untracedFetch`. @default false */
  privateUrl?: boolean;
  /** Non-2xx statuses to return as responses instead of errors (HubSpot's 409). */
  acceptStatuses?: readonly number[];
  /**
   * Whether sending it twice does no harm. Default: true for GET, PUT and DELETE and for a
   * request with an `Idempotency-Key` header, false for any other POST or PATCH. A request
   * that is not idempotent goes out on a connection that is never reused, so the HTTP stack
   * cannot send it a second time on its own; a dropped connection is the caller's to resolve.
   */
  idempotent?: boolean;
}

/** How requests reach the network: what `main.ts` builds once and every client is handed. */
export interface NetworkDeps {
  fetch: typeof fetch;
  /** A fetch that never reuses a connection (see `createFreshConnectionFetch`), for requests
   * that are not idempotent. @default `fetch` (tests with a stubbed fetch) */
  freshFetch?: typeof fetch;
  /** A fetch no trace sees (see `createUntracedFetch`), for URLs that carry a secret or a
   * contact's data; set when tracing is on. @default none: such requests go as any other */
  untracedFetch?: typeof fetch;
}

/** What an HTTP client needs from outside. */
export interface HttpDeps extends NetworkDeps {
  clock: Clock;
}

/** A successful response, its body already read. */
export interface HttpResponse {
  status: number;
  headers: Headers;
  body: Uint8Array;
}

const decoder = new TextDecoder();

/**
 * The one HTTP core under every provider client: injected `fetch` and clock, the caller's
 * signal (its deadline; the caller owns it, so there is one per attempt), size-capped bodies,
 * the provider's error table turning error responses into the taxonomy, Retry-After parsed,
 * network failures as {@link ConnectionError}. Redirects are never followed: a redirected
 * request would carry keys and contacts' data to wherever the answer points. No message it
 * builds holds a secret: URLs and quoted bodies are redacted.
 */
export class HttpClient {
  readonly options: Readonly<HttpClientOptions>;
  readonly #fetch: typeof fetch;
  readonly #freshFetch: typeof fetch;
  readonly #untracedFetch: typeof fetch | undefined;
  readonly #clock: Clock;

  constructor(options: HttpClientOptions, deps: HttpDeps) {
    if (!/^https?:\/\//.test(options.baseUrl)) {
      throw new TypeError(
        `${options.service}: baseUrl must start with http:// or https://: got "${options.baseUrl}"`,
      );
    }
    this.options = { ...options, baseUrl: options.baseUrl.replace(/\/+$/, "") };
    this.#fetch = deps.fetch;
    this.#freshFetch = deps.freshFetch ?? deps.fetch;
    this.#untracedFetch = deps.untracedFetch;
    this.#clock = deps.clock;
  }

  /** Sends `request`; resolves with a 2xx response, rejects with a taxonomy error. */
  request(request: HttpRequest): Promise<HttpResponse> {
    return this.#send(request, request.signal);
  }

  /** Sends `request` and parses a JSON success body; a malformed one is transient. */
  async json<T = unknown>(request: HttpRequest): Promise<T> {
    const response = await this.request({
      ...request,
      headers: { accept: "application/json", ...request.headers },
    });
    try {
      return JSON.parse(decoder.decode(response.body)) as T;
    } catch (error) {
      throw new ServiceUnavailableError({
        service: this.options.service,
        status: response.status,
        code: "malformed_response",
        message: `HTTP ${response.status} with a body that is not JSON`,
        cause: error,
      });
    }
  }

  /** Removes every known secret and token pattern from `text`. */
  redact(text: string): string {
    const { secrets } = this.options;
    return redactText(text, typeof secrets === "function" ? secrets() : secrets);
  }

  async #send(request: HttpRequest, signal?: AbortSignal): Promise<HttpResponse> {
    const { service } = this.options;
    const url = this.#url(request);
    const headers: Record<string, string> = { ...this.options.headers, ...request.headers };
    let body = request.body;
    if (request.json !== undefined) {
      headers["content-type"] ??= "application/json";
      body = JSON.stringify(request.json);
    }
    const idempotent = request.idempotent ??
      (request.method !== "POST" && request.method !== "PATCH" ||
        Object.keys(headers).some((name) => name.toLowerCase() === "idempotency-key"));
    // An untraced request never reuses a connection either.
    const untraced = (request.privateUrl || this.options.privateUrls) && this.#untracedFetch;
    const send = untraced || (idempotent ? this.#fetch : this.#freshFetch);
    let response: Response;
    try {
      response = await send(url, {
        method: request.method,
        headers,
        body,
        signal,
        redirect: "manual",
      });
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      throw new ConnectionError({
        service,
        message: `connection failed: ${this.redact(errorMessage(error))}`,
        cause: new Error(this.redact(errorMessage(error))),
      });
    }
    if (response.status >= 300 && response.status < 400) {
      await response.body?.cancel().catch(() => {});
      // Only the target's host is told: a redirect's path and query may carry a token.
      const location = response.headers.get("location");
      let target = "an address it did not give (no Location header)";
      if (location) {
        try {
          target = this.redact(new URL(location, response.url || this.options.baseUrl).host);
        } catch {
          target = "an address that is not a URL";
        }
      }
      throw new NotFoundError({
        service,
        scope: "service",
        status: response.status,
        code: "redirect",
        message:
          `HTTP ${response.status} redirect to ${target} not followed: provider calls never follow redirects; set the base URL to the final address`,
      });
    }
    if (response.ok || request.acceptStatuses?.includes(response.status)) {
      try {
        const bytes = await readBodyCapped(response, this.options.maxBodyBytes ?? 10 * 1024 * 1024);
        return { status: response.status, headers: response.headers, body: bytes };
      } catch (error) {
        if (signal?.aborted) throw signal.reason;
        if (error instanceof BodyTooLargeError) {
          throw new ServiceUnavailableError({
            service,
            status: response.status,
            code: "response_too_large",
            message: `HTTP ${response.status} with a body over ${error.limitBytes} bytes`,
          });
        }
        throw new ConnectionError({
          service,
          message: `connection lost while reading the response: ${
            this.redact(errorMessage(error))
          }`,
        });
      }
    }
    throw await this.#errorOf(response, signal);
  }

  async #errorOf(response: Response, signal?: AbortSignal): Promise<Error> {
    const { service, errors } = this.options;
    let text = "";
    try {
      text = decoder.decode(
        await readBodyCapped(response, this.options.maxErrorBodyBytes ?? 16 * 1024, {
          truncate: true,
        }),
      );
    } catch {
      if (signal?.aborted) return signal.reason;
    }
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    const { code, message } = json === undefined ? {} : errors.readError(json);
    return classifyResponse(errors, {
      service,
      status: response.status,
      code,
      message: message === undefined ? undefined : this.redact(message).slice(0, 300),
      retryAfterMs: parseRetryAfter(response.headers, this.#clock.now()) ??
        (json === undefined ? undefined : errors.retryAfterMs?.(json)),
      json,
    });
  }

  #url(request: HttpRequest): string {
    const url = `${this.options.baseUrl}${request.path}`;
    if (!request.query) return url;
    return `${url}?${new URLSearchParams(request.query)}`;
  }
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
