/** The fake Twilio account the tests' telephony config uses (token read from `T_TEL`). */
export const twilioAccount = {
  accountSid: `AC${"0123456789abcdef".repeat(2)}`,
  authToken: "t-twilio-auth-token",
  from: "+14155550000",
};

/** `services.telephony` pointing at a fake Twilio (token read from `T_TEL`). Calls are not
 * paced (the fake has no calls-per-second limit unless a test gives it one), unless `extra`
 * says `callsPerSecond`. */
export function twilioTelephonyConfig(
  fake: { url: string },
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    kind: "twilio",
    callsPerSecond: 1_000,
    twilio: {
      baseUrl: fake.url,
      accountSid: twilioAccount.accountSid,
      from: twilioAccount.from,
      authTokenEnv: "T_TEL",
      // The fake's call list is current at once: a short settle keeps the tests quick, and
      // still looks more than once before a lost dial is dialled again.
      lostDialSettleMs: 200,
    },
    ...extra,
  };
}

/** The `services` config that sends each service to its fake provider, keys read from `T_LLM`,
 * `T_TTS`, `T_TEL` and `T_CRM`. Telephony stays the mock unless a fake Twilio is given; with
 * `publicBaseUrl` (the run's status server, `http://127.0.0.1:<server.port>`) the fake Twilio
 * fetches the audio it plays and posts status callbacks there, as Twilio would through a tunnel;
 * without one, no voice is synthesized (Twilio could not play it). */
export function fakeServicesConfig(
  fakes: {
    llm: { baseUrl: string };
    tts: { url: string };
    crm: { url: string };
    telephony?: { url: string };
  },
  options: { audioDir?: string; llm?: Record<string, unknown>; publicBaseUrl?: string } = {},
): Record<string, unknown> {
  return {
    ...(fakes.telephony
      ? {
        telephony: twilioTelephonyConfig(fakes.telephony, {
          poll: { initialMs: 20, maxMs: 100, withCallbacksMs: 2_000 },
          ...(options.publicBaseUrl ? { publicBaseUrl: options.publicBaseUrl } : {}),
        }),
      }
      : {}),
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
