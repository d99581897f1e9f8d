/** The pipeline's steps: write the script, synthesize it, place the call, record it. */
export type Step = "llm" | "tts" | "call" | "crm";

/** The service each step calls (its breaker, retries and slots). */
export function serviceOf(step: Step): string {
  return step === "call" ? "telephony" : step;
}

/** Attempts that reached a provider, per step, over all runs. */
export type StepAttempts = Partial<Record<Step, number>>;
