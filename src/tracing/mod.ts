/**
 * The agent's traces: one span per contact, a child per step, a client span per attempt that
 * reached a provider, behind an interface ({@link Tracing}) whose "off" costs nothing.
 * @module
 */
export {
  captureContentVariable,
  capturesMessageContent,
  noTracing,
  type OpenSpan,
  type SpanAttributes,
  type SpanKind,
  type SpanOptions,
  type SpanValue,
  type TraceIds,
  type Tracing,
} from "./tracing.ts";
export { otelTracing, tracingIfExported, type TracingOptions } from "./otel_tracing.ts";
