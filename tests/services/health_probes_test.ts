/**
 * Health probes judge the body as the real call would: each real client's probe, against its
 * fake provider over a socket, is healthy on the provider's real answer and unhealthy on a
 * 200 whose body is garbage (a proxy's error page, a half-deployed gateway).
 */
import assert from "node:assert/strict";
import { systemClock } from "../../src/clock/mod.ts";
import { deepMerge, parseConfig } from "../../src/config/mod.ts";
import { ServiceUnavailableError } from "../../src/errors.ts";
import {
  type FakeServer,
  startFakeElevenLabs,
  startFakeHubSpot,
  startFakeOpenAi,
  startFakeTwilio,
  startFakeWebhookCrm,
} from "../../src/fake_providers/mod.ts";
import { createServices, type Services } from "../../src/services/mod.ts";
import { fakeServicesConfig, twilioAccount } from "../_support/fake_services_config.ts";

const env: Record<string, string> = {
  T_LLM: "llm-key",
  T_TTS: "tts-key",
  T_CRM: "crm-key",
  T_TEL: twilioAccount.authToken,
  HUBSPOT_TOKEN: "hub-token",
};

Deno.test("each provider's probe is healthy on its real answer and unhealthy on a 200 of garbage", async () => {
  await using llm = startFakeOpenAi({ apiKey: "llm-key" });
  await using tts = startFakeElevenLabs({ apiKey: "tts-key" });
  await using crm = startFakeWebhookCrm({ apiKey: "crm-key" });
  await using twilio = startFakeTwilio({ ...twilioAccount });
  await using hubspot = startFakeHubSpot({ apiKey: "hub-token" });
  const config = parseConfig(deepMerge(
    { services: fakeServicesConfig({ llm, tts, crm, telephony: twilio }) },
    { services: { crm: { kind: "hubspot", hubspot: { baseUrl: hubspot.url } } } },
  ));
  const services = createServices(config, {
    clock: systemClock,
    fetch,
    env: (name) => env[name],
    writeFile: () => Promise.resolve(),
  });
  const fakes: [Exclude<keyof Services, "fallbacks">, FakeServer][] = [
    ["llm", llm],
    ["tts", tts],
    ["telephony", twilio],
    ["crm", hubspot],
  ];
  for (const [name, fake] of fakes) {
    await services[name].probe();
    using _garbage = fake.outage({ malformed: true });
    await assert.rejects(services[name].probe(), (error) => {
      assert.ok(error instanceof ServiceUnavailableError, `${name}: ${error}`);
      assert.equal(error.code, "malformed_response", name);
      return true;
    });
  }
});
