import type { CallScript } from "./types.ts";

/** What an LLM provider answered besides the text, as it sent it (unchecked). */
export interface ScriptAnswer {
  model: string;
  inputTokens: unknown;
  outputTokens: unknown;
  finishReason: unknown;
  /** A refusal the provider gave apart from the text. */
  refusal?: unknown;
}

/**
 * The script as the agent keeps it: its text (trimmed, empty when the model wrote none), the
 * model, the token counts when both are counts, why the model stopped and any refusal, when the
 * provider said them in words. Whether it is worth voicing is the processor's to judge.
 */
export function callScript(text: string, answer: ScriptAnswer): CallScript {
  const { model, inputTokens, outputTokens, finishReason, refusal } = answer;
  return {
    text: text.trim(),
    model,
    ...(Number.isInteger(inputTokens) && Number.isInteger(outputTokens)
      ? { usage: { inputTokens: inputTokens as number, outputTokens: outputTokens as number } }
      : {}),
    ...(typeof finishReason === "string" ? { finishReason } : {}),
    ...(typeof refusal === "string" && refusal ? { refusal } : {}),
  };
}
