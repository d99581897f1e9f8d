import type { Context, Hono } from "hono";
import type { Clock } from "../clock/mod.ts";
import { Emitter } from "../events/mod.ts";
import { serveLoopback } from "../platform/mod.ts";
import {
  type FaultKind,
  type FaultRule,
  FaultSchedule,
  type MockCallEvent,
} from "../services/mod.ts";

/** A fault rule for a fake HTTP provider: the mock rules plus transport-level faults. */
export interface HttpFaultRule extends FaultRule {
  /** Answer with this status and body instead of the provider's error for `fail`. */
  status?: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** Send the headers, then drop the connection mid-body. */
  drop?: boolean;
  /** Answer 200 with a body that is not JSON. */
  malformed?: boolean;
  /** Do the work (store the outcome), then never answer: a crash after the provider's
   * success and before ours. Honoured by routes that store something. */
  hangAfter?: boolean;
  /** Do the work, then drop the connection before the answer's body is through: the
   * provider acted, the client cannot know. Honoured by routes that store something. */
  dropAfter?: boolean;
  /** Do the work, then answer with the `fail` kind's error (a 5xx after creating a call).
   * Honoured by routes that store something. */
  failAfter?: boolean;
  /** Health probes answer healthy while this rule applies to calls (OpenAI's quota: chat
   * completions answer 429 while `GET /models` answers 200). */
  probeHealthy?: boolean;
}

/** A provider's exact error response for a fault kind. */
export interface FakeErrorResponse {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

/** One request a fake received. */
export interface RecordedRequest {
  method: string;
  path: string;
  at: number;
  headers: Record<string, string>;
  body?: unknown;
  /** What the fault script made of it (`ok`, `hang`, `HTTP 503`...); unset for probes. */
  result?: string;
}

/** A running fake provider. */
export interface FakeServer extends AsyncDisposable {
  /** Base URL, e.g. `http://127.0.0.1:43117`. */
  url: string;
  requests: RecordedRequest[];
  /** Requests whose path starts with `prefix` (and method, if given). */
  count(prefix: string, method?: string): number;
  /** Resolves once `n` requests have arrived (lets tests act while one hangs). */
  waitForRequests(n: number, prefix?: string): Promise<void>;
  /** The most requests it was answering at once. */
  peakInFlight(): number;
  /** Announced for every call the script decides (probes excluded), as mocks do. */
  onCall(listener: (event: MockCallEvent) => void): Disposable;
  /** Applies `rule` to every call and probe, ahead of the script, until disposed. */
  outage(rule: HttpFaultRule): Disposable;
  close(): Promise<void>;
}

/** What each fake provider shares: its script, clock, hung requests, and request log. */
export class FakeProviderState {
  readonly schedule: FaultSchedule<HttpFaultRule>;
  readonly requests: RecordedRequest[] = [];
  /** Requests being answered now, and the most there ever were at once. */
  inFlight = 0;
  peakInFlight = 0;
  readonly calls = new Emitter<MockCallEvent>();
  readonly #clock: Clock;
  readonly #service: string;
  readonly #hung = new Set<() => void>();
  readonly #waiters: { n: number; prefix: string; resolve: () => void }[] = [];
  #closed = false;
  /** Requests whose rule said `hangAfter` or `dropAfter`: what the route does once its work
   * is done. */
  readonly #after = new WeakMap<Request, "hang" | "drop" | HttpFaultRule>();
  /** Each request's record, so concurrent requests never read each other's body. */
  readonly #records = new WeakMap<Request, RecordedRequest>();

  constructor(
    service: string,
    faults: readonly HttpFaultRule[],
    clock: Clock,
    readonly errorFor: (kind: FaultKind, rule: HttpFaultRule) => FakeErrorResponse,
  ) {
    this.#clock = clock;
    this.#service = service;
    this.schedule = new FaultSchedule(service, faults, { clock });
  }

  /** Records the request; used by the fakes' first middleware. */
  async record(c: Context): Promise<void> {
    let body: unknown;
    const type = c.req.header("content-type") ?? "";
    if (type.includes("json")) body = await c.req.json().catch(() => "<invalid json>");
    const record: RecordedRequest = {
      method: c.req.method,
      path: new URL(c.req.url).pathname,
      at: this.#clock.now(),
      headers: Object.fromEntries(c.req.raw.headers),
      body,
    };
    this.requests.push(record);
    this.#records.set(c.req.raw, record);
    for (const waiter of [...this.#waiters]) {
      if (this.#arrived(waiter.prefix) >= waiter.n) {
        this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    }
  }

  /** Requests received whose path starts with `prefix`. */
  #arrived(prefix: string): number {
    return prefix === ""
      ? this.requests.length
      : this.requests.filter((r) => r.path.startsWith(prefix)).length;
  }

  /** The parsed body of the request `c` answers. */
  bodyOf(c: Context): unknown {
    return this.#records.get(c.req.raw)?.body;
  }

  /** Resolves once `n` requests (whose path starts with `prefix`, if given) have arrived. */
  waitForRequests(n: number, prefix = ""): Promise<void> {
    if (this.#arrived(prefix) >= n) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ n, prefix, resolve }));
  }

  /**
   * Applies the script to a call (consuming a rule's call) or a probe (not consuming):
   * returns the faulty response, or undefined to let the route answer normally.
   */
  async fault(c: Context, probe = false): Promise<Response | undefined> {
    const next = probe ? this.schedule.currentRule() : this.schedule.nextRule();
    const rule = probe && next?.probeHealthy ? undefined : next;
    if (!probe && rule?.hangAfter) this.#after.set(c.req.raw, "hang");
    if (!probe && rule?.dropAfter) this.#after.set(c.req.raw, "drop");
    if (!probe && rule?.failAfter) this.#after.set(c.req.raw, rule);
    if (!probe) {
      const request = this.#records.get(c.req.raw);
      if (request) request.result = describeRule(rule);
      this.calls.emit({
        service: this.#service,
        operation: `${c.req.method} ${new URL(c.req.url).pathname}`,
        at: this.#clock.now(),
        result: describeRule(rule),
      });
    }
    if (!rule || rule.hangAfter || rule.dropAfter || rule.failAfter) return undefined;
    if (rule.latencyMs) await this.#clock.sleep(rule.latencyMs);
    if (rule.hang || rule.fail === "timeout") {
      await this.#hangUntilClosed();
      return new Response(null, { status: 504 });
    }
    if (rule.drop || rule.fail === "connection") return droppedResponse();
    if (rule.malformed) {
      return new Response("{ this is not json", {
        status: 200,
        headers: { "content-type": "application/json" },
      });
    }
    if (rule.status !== undefined) {
      return c.json(rule.body ?? {}, rule.status as 400, rule.headers);
    }
    if (rule.fail) {
      const response = this.errorFor(rule.fail, rule);
      return c.json(response.body, response.status as 400, response.headers);
    }
    return undefined;
  }

  /** For routes that store something: after the work, hangs (`hangAfter`), drops the
   * connection (`dropAfter`) or answers with an error (`failAfter`) instead of answering. */
  async afterWork(c: Context): Promise<Response | undefined> {
    const after = this.#after.get(c.req.raw);
    if (after === "drop") return droppedResponse();
    if (typeof after === "object") {
      const response = this.errorFor(after.fail ?? "unavailable", after);
      return c.json(response.body, response.status as 400, response.headers);
    }
    if (after !== "hang") return undefined;
    await this.#hangUntilClosed();
    return new Response(null, { status: 504 });
  }

  /** Never answers (until the fake closes): a provider that took the request and went quiet. */
  hang(): Promise<void> {
    return this.#hangUntilClosed();
  }

  #hangUntilClosed(): Promise<void> {
    return new Promise<void>((resolve) => {
      if (this.#closed) return resolve();
      this.#hung.add(resolve);
    });
  }

  /** Releases every hung request, so the server can shut down. */
  close(): void {
    this.#closed = true;
    for (const release of this.#hung) release();
    this.#hung.clear();
  }
}

function describeRule(rule?: HttpFaultRule): string {
  if (!rule) return "ok";
  if (rule.hangAfter) return "hang-after";
  if (rule.dropAfter) return "drop-after";
  if (rule.failAfter) return `${rule.fail ?? "unavailable"}-after`;
  if (rule.hang || rule.fail === "timeout") return "hang";
  if (rule.drop || rule.fail === "connection") return "drop";
  if (rule.malformed) return "malformed";
  if (rule.status !== undefined) return `HTTP ${rule.status}`;
  return rule.fail ?? "ok";
}

/** A 200 whose body breaks off: the connection drops before the answer is through. */
export function droppedResponse(): Response {
  let sent = false;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (!sent) {
        sent = true;
        controller.enqueue(new TextEncoder().encode('{"partial":'));
        return;
      }
      controller.error(new Error("connection dropped by the fake provider"));
    },
  });
  return new Response(body, { status: 200, headers: { "content-type": "application/json" } });
}

/** Serves `app` on 127.0.0.1 on a free port. */
export function serveFake(app: Hono, state: FakeProviderState): FakeServer {
  const server = serveLoopback(async (request) => {
    state.peakInFlight = Math.max(state.peakInFlight, ++state.inFlight);
    try {
      return await app.fetch(request);
    } finally {
      state.inFlight--;
    }
  }, "fake provider error");
  const close = async () => {
    state.close();
    await server.shutdown();
  };
  return {
    url: `http://127.0.0.1:${server.port}`,
    requests: state.requests,
    count: (prefix, method) =>
      state.requests.filter((r) => r.path.startsWith(prefix) && (!method || r.method === method))
        .length,
    waitForRequests: (n, prefix) => state.waitForRequests(n, prefix),
    peakInFlight: () => state.peakInFlight,
    onCall: (listener) => state.calls.on(listener),
    outage: (rule) => state.schedule.interrupt(rule),
    close,
    [Symbol.asyncDispose]: close,
  };
}
