import { AsyncLocalStorage } from "node:async_hooks";
import type { SpanAttributes, SpanKind, Tracing } from "../../src/tracing/mod.ts";

/** A span as {@link recordingTracing} kept it. */
export interface RecordedSpan {
  id: number;
  parent?: number;
  name: string;
  kind: SpanKind;
  attributes: Record<string, unknown>;
  events: { name: string; attributes: SpanAttributes }[];
  failed?: string;
  ended: boolean;
}

/** A {@link Tracing} that keeps every span in memory, each with its parent (the span active
 * where it began, followed through promises as OpenTelemetry's context is). */
export function recordingTracing(): Tracing & { spans: RecordedSpan[] } {
  const active = new AsyncLocalStorage<RecordedSpan>();
  const spans: RecordedSpan[] = [];
  return {
    on: true,
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
        return await active.run(span, () =>
          work({
            set: (attributes) => Object.assign(span.attributes, attributes),
            event: (event, attributes = {}) => span.events.push({ name: event, attributes }),
            fail: (errorType) => (span.failed = errorType),
          }));
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
