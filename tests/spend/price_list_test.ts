import assert from "node:assert/strict";
import { parseConfig } from "../../src/config/mod.ts";
import { PriceList } from "../../src/spend/mod.ts";

const config = parseConfig({
  pricing: { llm: { "gpt-4o": { inputPerMillion: 2.5, outputPerMillion: 10 } } },
  services: {
    llm: {
      kind: "openai",
      fallbacks: [{ name: "claude", kind: "anthropic" }, { name: "spare", kind: "mock" }],
    },
    tts: { kind: "elevenlabs", fallbacks: [{ name: "openai-speech", kind: "openai" }] },
    telephony: {
      kind: "twilio",
      twilio: { accountSid: `AC${"0".repeat(32)}`, from: "+14155550000" },
    },
  },
});
const prices = new PriceList(config);
const usage = { inputTokens: 1_000_000, outputTokens: 1_000_000 };

Deno.test("a script is priced by its tokens at the longest model name that starts its model's", () => {
  assert.equal(prices.script("llm", { model: "gpt-4o-mini-2024-07-18", usage }), 0.15 + 0.6);
  assert.equal(prices.script("llm", { model: "gpt-4o-2024-08-06", usage }), 2.5 + 10);
  assert.equal(prices.script("claude", { model: "claude-haiku-4-5-20251001", usage }), 1 + 5);
  assert.equal(prices.script("llm", { usage }), 0.15 + 0.6, "unnamed: the configured model");
});

Deno.test("a mock, an unreported usage or an unpriced model costs nothing", () => {
  assert.equal(prices.script("spare", { model: "gpt-4o-mini", usage }), 0);
  assert.equal(prices.script("llm", { model: "gpt-4o-mini" }), 0);
  assert.equal(prices.script("llm", { model: "o9-preview", usage }), 0);
});

Deno.test("a voice is priced per thousand characters of its own kind", () => {
  assert.equal(prices.speech("tts", 2_000), 0.6);
  assert.equal(prices.speech("openai-speech", 2_000), 0.03);
});

Deno.test("a call costs the price its provider reported, else each started minute", () => {
  assert.equal(prices.call(61, 0.0217), 0.0217);
  assert.equal(prices.call(61), 2 * 0.014);
  assert.equal(prices.call(0), 0, "an unanswered call");
});
