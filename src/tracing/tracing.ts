/** A span attribute's value; `undefined` leaves the attribute out. */
export type SpanValue = string | number | boolean | undefined;

/** A span's attributes, by OpenTelemetry attribute name. */
export type SpanAttributes = Readonly<Record<string, SpanValue>>;

/** What a span's kind says about it: `client` for a request to another service. */
export type SpanKind = "internal" | "client";

/** The span a piece of work runs in: what it learns goes onto it. */
export interface OpenSpan {
  /** Adds (or replaces) attributes. */
  set(attributes: SpanAttributes): void;
  /** Records something that happened in the span, at the time it happened. */
  event(name: string, attributes?: SpanAttributes): void;
  /** Marks the span failed, with the class of what failed it (`error.type`). */
  fail(errorType: string): void;
}

/** Where a span is opened. */
export interface SpanOptions {
  kind?: SpanKind;
  attributes?: SpanAttributes;
}

/** The ids of the span running now, as log lines carry them. */
export interface TraceIds {
  traceId: string;
  spanId: string;
}

/**
 * The agent's spans. Work runs inside {@link span} so that whatever it calls (a child span, a
 * `fetch`, a log line) sees the span as the active one. The agent never names a tracing library
 * outside the implementation behind this interface; with tracing off, {@link noTracing} runs the
 * work and nothing else.
 */
export interface Tracing {
  /** Whether spans are recorded at all. */
  readonly on: boolean;
  /** Runs `work` in a new span, the child of the active one; ends it when `work` settles (a
   * rejection marks it failed with the error's class). */
  span<T>(name: string, options: SpanOptions, work: (span: OpenSpan) => Promise<T>): Promise<T>;
  /** Adds an event to the active span, if there is one. */
  event(name: string, attributes?: SpanAttributes): void;
  /** The active span's ids, if there is one. */
  activeIds(): TraceIds | undefined;
}

const noSpan: OpenSpan = {
  set() {},
  event() {},
  fail() {},
};

/** Tracing off: work runs as it would without spans. */
export const noTracing: Tracing = {
  on: false,
  span: (_name, _options, work) => work(noSpan),
  event() {},
  activeIds: () => undefined,
};
