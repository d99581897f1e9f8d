import {
  type Attributes,
  type AttributeValue,
  ProxyTracerProvider,
  type Span,
  SpanKind as OtelSpanKind,
  SpanStatusCode,
  trace,
} from "@opentelemetry/api";
import { errorClass } from "../errors.ts";
import {
  noTracing,
  type OpenSpan,
  type SpanAttributes,
  type SpanKind,
  type Tracing,
} from "./tracing.ts";

const kinds: Record<SpanKind, OtelSpanKind> = {
  internal: OtelSpanKind.INTERNAL,
  client: OtelSpanKind.CLIENT,
};

/** Attributes without the unset ones (OpenTelemetry would drop them with a warning). */
function defined(attributes: SpanAttributes | undefined): Attributes {
  const out: Attributes = {};
  for (const key in attributes) {
    const value = attributes[key];
    if (value !== undefined) out[key] = value as AttributeValue;
  }
  return out;
}

/** How spans are made. */
export interface TracingOptions {
  /** Spans may carry what a model wrote ({@link Tracing.captureContent}); off by default. */
  captureContent?: boolean;
}

function openSpan(span: Span): OpenSpan {
  return {
    set: (attributes) => void span.setAttributes(defined(attributes)),
    event: (name, attributes) => void span.addEvent(name, defined(attributes)),
    fail: (errorType) => {
      span.setAttribute("error.type", errorType);
      span.setStatus({ code: SpanStatusCode.ERROR });
    },
  };
}

/**
 * Spans through the OpenTelemetry API (`npm:@opentelemetry/api`), which exports them through
 * whatever registered itself with the API: Deno's built-in OpenTelemetry when the agent runs with
 * `OTEL_DENO=true`. A failed span records the error's class, never its message (a provider's
 * message may quote what it was sent).
 */
export function otelTracing(
  tracerName: string,
  version: string,
  options: TracingOptions = {},
): Tracing {
  const tracer = trace.getTracer(tracerName, version);
  return {
    on: true,
    captureContent: options.captureContent ?? false,
    span: (name, options, work) =>
      tracer.startActiveSpan(
        name,
        { kind: kinds[options.kind ?? "internal"], attributes: defined(options.attributes) },
        async (span) => {
          const open = openSpan(span);
          try {
            return await work(open);
          } catch (error) {
            open.fail(errorClass(error));
            throw error;
          } finally {
            span.end();
          }
        },
      ),
    event: (name, attributes) => void trace.getActiveSpan()?.addEvent(name, defined(attributes)),
    activeIds: () => {
      const context = trace.getActiveSpan()?.spanContext();
      return context && trace.isSpanContextValid(context)
        ? { traceId: context.traceId, spanId: context.spanId }
        : undefined;
    },
  };
}

/**
 * {@link otelTracing} when a tracer provider registered itself with the OpenTelemetry API (Deno
 * does, when started with `OTEL_DENO=true`), {@link noTracing} otherwise: no span is made, so
 * tracing off costs nothing. Needs no permission: it asks the API, not the environment.
 */
export function tracingIfExported(
  tracerName: string,
  version: string,
  options: TracingOptions = {},
): Tracing {
  return trace.getTracerProvider() instanceof ProxyTracerProvider
    ? noTracing
    : otelTracing(tracerName, version, options);
}
