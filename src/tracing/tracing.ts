/** A span attribute's value; `undefined` leaves the attribute out. */
export type SpanValue = string | number | boolean | readonly string[] | undefined;

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
  /** Whether spans may carry what a model wrote (a call's script): off unless the operator
   * turned it on ({@link capturesMessageContent}). */
  readonly captureContent: boolean;
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
  captureContent: false,
  span: (_name, _options, work) => work(noSpan),
  event() {},
  activeIds: () => undefined,
};

/** The variable OpenTelemetry's GenAI instrumentations read to put messages on spans. */
export const captureContentVariable = "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT";

/**
 * Whether {@link captureContentVariable}'s value turns content capture on: `true`, or the
 * span modes of the newer instrumentations (`span_only`, `span_and_event`), in any case. Anything
 * else, unset included, keeps content off.
 */
export function capturesMessageContent(value: string | undefined): boolean {
  return ["true", "span_only", "span_and_event"].includes(value?.trim().toLowerCase() ?? "");
}
