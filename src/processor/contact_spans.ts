import type { AttemptTrace } from "../resilience/mod.ts";
import type { CallScript, LlmService } from "../services/mod.ts";
import type { OpenSpan } from "../tracing/mod.ts";
import type { ContactResult } from "./contact_result.ts";

/**
 * What a contact's span says when it ends: its status, and why it stopped short. Never its
 * phone, name or script: only ids, classes and reasons, which say what happened without saying
 * who was called or what they were told.
 */
export function contactSpanEnd(span: OpenSpan, result: ContactResult): void {
  span.set({ "ai_call_agent.contact.status": result.status });
  switch (result.status) {
    case "completed":
      span.set({
        "ai_call_agent.fallback.script": result.fallbacks?.script,
        "ai_call_agent.fallback.voice": result.fallbacks?.voice,
      });
      return;
    case "skipped":
      span.set({ "ai_call_agent.contact.reason": result.reason });
      return;
    case "failed":
      span.set({
        "ai_call_agent.contact.reason": result.reason,
        "ai_call_agent.service": result.service,
      });
      span.fail(result.errorClass);
      return;
    case "deferred":
      span.event(result.reason === "budget" ? "budget stop" : "deferred", {
        "ai_call_agent.contact.reason": result.reason,
        "ai_call_agent.service": result.service,
        "ai_call_agent.deferred.until": Number.isFinite(result.until)
          ? new Date(result.until).toISOString()
          : undefined,
        "error.type": result.errorClass,
      });
      span.set({
        "ai_call_agent.contact.reason": result.reason,
        "ai_call_agent.service": result.service,
      });
  }
}

/**
 * An LLM attempt as OpenTelemetry's GenAI conventions name it: a `chat` with its model, the
 * tokens the provider said it billed and why the model stopped. The script it wrote only with
 * `captureContent` (`gen_ai.output.messages`, as the conventions' opt-in says); the prompt,
 * which names the person called, never.
 */
export function llmAttemptTrace(
  llm: LlmService,
  captureContent = false,
): AttemptTrace<CallScript> {
  const genAi = llm.genAi;
  if (!genAi) return { attributes: { "gen_ai.operation.name": "chat" } };
  return {
    name: `chat ${genAi.model}`,
    attributes: {
      "gen_ai.operation.name": "chat",
      "gen_ai.provider.name": genAi.provider,
      "gen_ai.request.model": genAi.model,
    },
    fromResult: (script) => ({
      "gen_ai.response.model": script.model,
      "gen_ai.usage.input_tokens": script.usage?.inputTokens,
      "gen_ai.usage.output_tokens": script.usage?.outputTokens,
      "gen_ai.response.finish_reasons": script.finishReason ? [script.finishReason] : undefined,
      "gen_ai.output.messages": captureContent ? outputMessages(script) : undefined,
    }),
  };
}

/** The conventions' finish reasons for what providers call theirs. */
const finishReasons: Readonly<Record<string, string>> = {
  end_turn: "stop",
  stop_sequence: "stop",
  max_tokens: "length",
};

/** `gen_ai.output.messages`: the script as the one message the model answered with. */
function outputMessages(script: CallScript): string {
  const reason = script.finishReason ?? "stop";
  return JSON.stringify([{
    role: "assistant",
    parts: [{ type: "text", content: script.text }],
    finish_reason: finishReasons[reason] ?? reason,
  }]);
}
