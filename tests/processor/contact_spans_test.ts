import assert from "node:assert/strict";
import { contactSpanEnd, llmAttemptTrace } from "../../src/processor/contact_spans.ts";
import type { LlmService } from "../../src/services/mod.ts";
import { capturesMessageContent } from "../../src/tracing/mod.ts";
import { recordInto, type SpanRecord } from "../_support/recording_tracing.ts";

function recordingSpan() {
  const recorded: SpanRecord = { attributes: {}, events: [] };
  return { span: recordInto(recorded), recorded };
}

Deno.test("a deferred contact's span says why and until when, as an event and attributes", () => {
  const { span, recorded } = recordingSpan();
  contactSpanEnd(span, {
    contactId: "c1",
    status: "deferred",
    service: "tts",
    reason: "circuit-open",
    errorClass: "CircuitOpenError",
    message: "tts is down: +14155551234 said no", // never exported
    until: Date.UTC(2026, 0, 1),
  });
  assert.equal(recorded.attributes["ai_call_agent.contact.status"], "deferred");
  assert.equal(recorded.events[0].name, "deferred");
  assert.equal(
    recorded.events[0].attributes?.["ai_call_agent.deferred.until"],
    "2026-01-01T00:00:00.000Z",
  );
  assert.ok(!JSON.stringify(recorded).includes("+1415"), "the message is never on the span");
  assert.equal(recorded.failed, undefined, "a deferral is not a failure");
});

Deno.test("a budget stop is its own event; a failure marks the span failed by class", () => {
  const budget = recordingSpan();
  contactSpanEnd(budget.span, {
    contactId: "c1",
    status: "deferred",
    service: "budget",
    reason: "budget",
    errorClass: "SpendCapReached",
    message: "",
    until: Infinity,
  });
  assert.equal(budget.recorded.events[0].name, "budget stop");
  assert.equal(budget.recorded.events[0].attributes?.["ai_call_agent.deferred.until"], undefined);
  const failed = recordingSpan();
  contactSpanEnd(failed.span, {
    contactId: "c1",
    status: "failed",
    service: "llm",
    reason: "permanent",
    errorClass: "InvalidRequestError",
    message: "bad input",
  });
  assert.equal(failed.recorded.failed, "InvalidRequestError");
  assert.equal(failed.recorded.attributes["ai_call_agent.contact.reason"], "permanent");
});

Deno.test("an LLM attempt is named and described as OpenTelemetry's GenAI conventions say", () => {
  const llm = { name: "llm", genAi: { provider: "anthropic", model: "claude-x" } } as LlmService;
  const trace = llmAttemptTrace(llm);
  assert.equal(trace.name, "chat claude-x");
  assert.deepEqual(trace.attributes, {
    "gen_ai.operation.name": "chat",
    "gen_ai.provider.name": "anthropic",
    "gen_ai.request.model": "claude-x",
  });
  assert.deepEqual(
    trace.fromResult?.({
      text: "never on a span",
      model: "claude-x-1",
      usage: { inputTokens: 12, outputTokens: 34 },
      finishReason: "end_turn",
    }),
    {
      "gen_ai.response.model": "claude-x-1",
      "gen_ai.usage.input_tokens": 12,
      "gen_ai.usage.output_tokens": 34,
      "gen_ai.response.finish_reasons": ["end_turn"],
      "gen_ai.output.messages": undefined,
    },
  );
});

Deno.test("with content capture on, the script is the attempt's one output message; a cut-off one says length", () => {
  const llm = { name: "llm", genAi: { provider: "anthropic", model: "claude-x" } } as LlmService;
  const trace = llmAttemptTrace(llm, true);
  const messages = (finishReason?: string) =>
    JSON.parse(String(
      trace.fromResult?.({ text: "Hello Ada", ...(finishReason ? { finishReason } : {}) })[
        "gen_ai.output.messages"
      ],
    ));
  const expected = (reason: string) => [{
    role: "assistant",
    parts: [{ type: "text", content: "Hello Ada" }],
    finish_reason: reason,
  }];
  assert.deepEqual(messages("end_turn"), expected("stop"));
  assert.deepEqual(messages("max_tokens"), expected("length"));
  assert.deepEqual(messages("length"), expected("length"));
  assert.deepEqual(messages(undefined), expected("stop"));
  assert.deepEqual(messages("content_filter"), expected("content_filter"));
});

Deno.test("content capture is on only for the variable's documented values", () => {
  for (const value of ["true", "TRUE", " True ", "span_only", "SPAN_AND_EVENT"]) {
    assert.equal(capturesMessageContent(value), true, value);
  }
  for (const value of [undefined, "", "false", "1", "yes", "event_only", "no_content"]) {
    assert.equal(capturesMessageContent(value), false, String(value));
  }
});
