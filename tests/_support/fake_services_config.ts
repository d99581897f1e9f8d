/** The `services` config that sends each service to its fake provider, keys read from `T_LLM`,
 * `T_TTS` and `T_CRM`. */
export function fakeServicesConfig(
  fakes: { llm: { baseUrl: string }; tts: { url: string }; crm: { url: string } },
  options: { audioDir?: string; llm?: Record<string, unknown> } = {},
): Record<string, unknown> {
  return {
    llm: {
      kind: "openai",
      ...options.llm,
      openai: { baseUrl: fakes.llm.baseUrl, apiKeyEnv: "T_LLM" },
    },
    tts: {
      kind: "elevenlabs",
      elevenlabs: {
        baseUrl: fakes.tts.url,
        apiKeyEnv: "T_TTS",
        ...(options.audioDir === undefined ? {} : { audioDir: options.audioDir }),
      },
    },
    crm: {
      kind: "webhook",
      webhook: {
        url: `${fakes.crm.url}/outcomes`,
        healthUrl: `${fakes.crm.url}/health`,
        tokenEnv: "T_CRM",
      },
    },
  };
}
