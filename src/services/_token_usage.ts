/** Token counts a provider reported, when both are counts. */
export function tokens(
  input: unknown,
  output: unknown,
): { inputTokens: number; outputTokens: number } | undefined {
  return Number.isInteger(input) && Number.isInteger(output)
    ? { inputTokens: input as number, outputTokens: output as number }
    : undefined;
}
