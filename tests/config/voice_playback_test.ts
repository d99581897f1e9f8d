/**
 * Whether a voice is paid for at all: only when the call can play it. One rule, row by row.
 */
import assert from "node:assert/strict";
import { parseConfig, voicePlayback } from "../../src/config/mod.ts";
import { ConfigError } from "../../src/errors.ts";

const twilio = {
  kind: "twilio",
  twilio: { accountSid: `AC${"0".repeat(32)}`, from: "+14155550000" },
};
const withUrl = { ...twilio, publicBaseUrl: "https://agent.example.com" };

const rows: { name: string; services: Record<string, unknown>; playback: string; why?: RegExp }[] =
  [
    {
      name: "the mock telephony is handed any voice",
      services: { tts: { kind: "elevenlabs", elevenlabs: { outputFormat: "ulaw_8000" } } },
      playback: "direct",
    },
    {
      name: "Twilio without a public URL cannot fetch the audio",
      services: { tts: { kind: "elevenlabs" }, telephony: twilio },
      playback: "none",
      why: /publicBaseUrl, which is empty; set it to the status server's public URL/,
    },
    {
      name: "Twilio with a public URL plays mp3",
      services: { tts: { kind: "elevenlabs" }, telephony: withUrl },
      playback: "link",
    },
    {
      name: "and wav from OpenAI speech",
      services: { tts: { kind: "openai", openai: { responseFormat: "wav" } }, telephony: withUrl },
      playback: "link",
    },
    {
      name: "but not ulaw_8000",
      services: {
        tts: { kind: "elevenlabs", elevenlabs: { outputFormat: "ulaw_8000" } },
        telephony: withUrl,
      },
      playback: "none",
      why: /services\.tts\.elevenlabs\.outputFormat ulaw_8000 is not mp3 or wav/,
    },
    {
      name: "nor audio no folder keeps",
      services: { tts: { kind: "elevenlabs", elevenlabs: { audioDir: "" } }, telephony: withUrl },
      playback: "none",
      why: /services\.tts\.elevenlabs\.audioDir is empty/,
    },
    {
      name: "nor a mock voice",
      services: { telephony: withUrl },
      playback: "none",
      why: /services\.tts\.kind mock makes no audio file/,
    },
  ];

for (const row of rows) {
  Deno.test(`voice playback: ${row.name}`, () => {
    const voice = voicePlayback(parseConfig({ services: row.services }));
    assert.equal(voice.playback, row.playback);
    if (row.why) assert.match(voice.playback === "none" ? voice.why : "", row.why);
  });
}

Deno.test("voice playback: a chain whose links mix playable and unplayable voices is refused, naming the link", () => {
  const config = parseConfig({
    services: {
      tts: {
        kind: "elevenlabs",
        fallbacks: [{ name: "openai-speech", kind: "openai", openai: { responseFormat: "pcm" } }],
      },
      telephony: withUrl,
    },
  });
  assert.throws(() => voicePlayback(config), (error) => {
    assert.ok(error instanceof ConfigError);
    assert.match(
      error.message,
      /services\.tts\.fallbacks\.0\.openai\.responseFormat pcm is not mp3 or wav.*would be paid for and never heard/,
    );
    return true;
  });
});
