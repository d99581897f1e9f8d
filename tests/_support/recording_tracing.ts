import { AsyncLocalStorage } from "node:async_hooks";
import type { OpenSpan, SpanAttributes, SpanKind, Tracing } from "../../src/tracing/mod.ts";

/** A span as {@link recordingTracing} kept it. */
export interface RecordedSpan extends SpanRecord {
  id: number;
  parent?: number;
  name: string;
  kind: SpanKind;
  ended: boolean;
}

/** What a span was told: its attributes, events and the class it failed with. */
export interface SpanRecord {
  attributes: Record<string, unknown>;
  events: { name: string; attributes: SpanAttributes }[];
  failed?: string;
}

/** An {@link OpenSpan} that writes what it is told into `record`. */
export function recordInto(record: SpanRecord): OpenSpan {
  return {
    set: (attributes) => Object.assign(record.attributes, attributes),
    event: (name, attributes = {}) => record.events.push({ name, attributes }),
    fail: (errorType) => (record.failed = errorType),
  };
}

/** A {@link Tracing} that keeps every span in memory, each with its parent (the span active
 * where it began, followed through promises as OpenTelemetry's context is). */
export function recordingTracing(): Tracing & { spans: RecordedSpan[] } {
  const active = new AsyncLocalStorage<RecordedSpan>();
  const spans: RecordedSpan[] = [];
  return {
    on: true,
    captureContent: false,
    spans,
    async span(name, options, work) {
      const span: RecordedSpan = {
        id: spans.length + 1,
        parent: active.getStore()?.id,
        name,
        kind: options.kind ?? "internal",
        attributes: { ...options.attributes },
        events: [],
        ended: false,
      };
      spans.push(span);
      try {
        return await active.run(span, () => work(recordInto(span)));
      } catch (error) {
        span.failed ??= error instanceof Error ? error.name : "unknown";
        throw error;
      } finally {
        span.ended = true;
      }
    },
    event(name, attributes = {}) {
      active.getStore()?.events.push({ name, attributes });
    },
    activeIds: () => {
      const span = active.getStore();
      return span ? { traceId: "t", spanId: String(span.id) } : undefined;
    },
  };
}
