import assert from "node:assert/strict";
import { telephonySetup } from "../../src/cli/telephony_setup.ts";
import { parseConfig } from "../../src/config/mod.ts";
import { ConfigError } from "../../src/errors.ts";

const io = {
  env: (name: string) => (name === "TWILIO_AUTH_TOKEN" ? "tok" : undefined),
  openFile: () => Promise.reject(new Deno.errors.NotFound("no file")),
};
const twilio = {
  kind: "twilio",
  twilio: { accountSid: `AC${"0".repeat(32)}`, from: "+14155550000" },
};

Deno.test("the start-up line says how calls speak and are followed", () => {
  assert.match(
    telephonySetup(parseConfig({}), io).startLine,
    /^telephony: mock \(no one is called\); calls play the synthesized audio; .* polling$/,
  );
  assert.match(
    telephonySetup(
      parseConfig({ services: { tts: { kind: "elevenlabs" }, telephony: twilio } }),
      io,
    )
      .startLine,
    /^telephony: Twilio from \+14155550000; calls speak the script with <Say> \(no voice is synthesized or paid for: Twilio fetches the audio it plays from services\.telephony\.publicBaseUrl, which is empty; set it to the status server's public URL .*\); calls are followed by polling$/,
  );
  const played = telephonySetup(
    parseConfig({
      services: {
        tts: { kind: "elevenlabs" },
        telephony: { ...twilio, publicBaseUrl: "https://agent.example.com" },
      },
    }),
    io,
  );
  assert.match(played.startLine, /calls play the synthesized audio from https:\/\/agent/);
  assert.equal(played.publicHost, "agent.example.com");
  assert.equal(played.twilioAuthToken, "tok");
  const ulaw = telephonySetup(
    parseConfig({
      services: {
        tts: { kind: "elevenlabs", elevenlabs: { outputFormat: "ulaw_8000" } },
        telephony: { ...twilio, publicBaseUrl: "https://agent.example.com" },
      },
    }),
    io,
  );
  assert.match(
    ulaw.startLine,
    /<Say> \(no voice is synthesized or paid for: services\.tts\.elevenlabs\.outputFormat ulaw_8000 is not mp3 or wav/,
  );
  assert.equal(ulaw.openAudio, undefined);
});

Deno.test("OpenAI speech in mp3 or wav is played from its audio folder; in opus it is <Say>", () => {
  const withFormat = (responseFormat: string) =>
    telephonySetup(
      parseConfig({
        services: {
          tts: { kind: "openai", openai: { responseFormat, audioDir: "voices" } },
          telephony: { ...twilio, publicBaseUrl: "https://agent.example.com" },
        },
      }),
      io,
    );
  for (const format of ["mp3", "wav"]) {
    const setup = withFormat(format);
    assert.match(setup.startLine, /calls play the synthesized audio/, format);
    assert.ok(setup.openAudio, format);
  }
  const opus = withFormat("opus");
  assert.match(
    opus.startLine,
    /<Say> \(no voice is synthesized or paid for: .*responseFormat opus/,
  );
  assert.equal(opus.openAudio, undefined);
});

Deno.test("a publicBaseUrl without the status server is refused, naming both keys", () => {
  assert.throws(
    () =>
      telephonySetup(
        parseConfig({
          server: { enabled: false },
          services: { telephony: { publicBaseUrl: "https://agent.example.com" } },
        }),
        io,
      ),
    (error) =>
      error instanceof ConfigError &&
      /services\.telephony\.publicBaseUrl: .* set server\.enabled to true/.test(error.message),
  );
});
