import type { CallScript } from "./types.ts";

/** What an LLM provider answered besides the text, as it sent it (unchecked). */
export interface ScriptAnswer {
  model: string;
  inputTokens: unknown;
  outputTokens: unknown;
  finishReason: unknown;
}

/**
 * The script as the agent keeps it: its text, the model, the token counts when both are counts
 * and why the model stopped when the provider said it in words.
 */
export function callScript(text: string, answer: ScriptAnswer): CallScript {
  const { model, inputTokens, outputTokens, finishReason } = answer;
  return {
    text,
    model,
    ...(Number.isInteger(inputTokens) && Number.isInteger(outputTokens)
      ? { usage: { inputTokens: inputTokens as number, outputTokens: outputTokens as number } }
      : {}),
    ...(typeof finishReason === "string" ? { finishReason } : {}),
  };
}
