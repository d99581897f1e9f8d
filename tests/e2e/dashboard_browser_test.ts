import assert from "node:assert/strict";
import { nameUnless } from "../_support/skip.ts";
import { systemClock } from "../../src/clock/mod.ts";
import { createStatusApp } from "../../src/server/mod.ts";
import { testAgent } from "../_support/agent.ts";
import { HeadlessChromium } from "../_support/headless_chromium.ts";

const chromiumPath = "/usr/bin/chromium";
const haveChromium = (() => {
  try {
    return Deno.statSync(chromiumPath).isFile;
  } catch {
    return false;
  }
})();
const noChromium = haveChromium
  ? undefined
  : `${chromiumPath} is missing (Debian package chromium; .ci/run installs it)`;

const tileState = (service: string) =>
  `document.querySelector('.tile[data-service="${service}"]')?.dataset.state`;
const tileColour = (service: string) =>
  `getComputedStyle(document.querySelector('.tile[data-service="${service}"]')).backgroundColor`;

Deno.test({
  name: nameUnless(
    "the dashboard in headless Chromium turns a service's tile red when its breaker is forced open",
    noChromium,
  ),
  ignore: !haveChromium,
  fn: async () => {
    const t = testAgent();
    await using _ = t.agent;
    using status = createStatusApp({
      agent: t.agent,
      clock: systemClock,
      version: "test",
      adminToken: "tok",
    });
    const server = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen: () => {} },
      status.fetch,
    );
    const url = `http://127.0.0.1:${server.addr.port}/`;
    try {
      await using browser = await HeadlessChromium.launch(chromiumPath);
      await browser.navigate(url);
      await browser.waitFor(`${tileState("tts")} === "CLOSED"`);
      assert.equal(
        await browser.evaluate(tileColour("tts")),
        "rgb(22, 130, 64)",
      );
      const response = await fetch(`${url}admin/breakers/tts/open`, {
        method: "POST",
        headers: { authorization: "Bearer tok" },
      });
      assert.equal(response.status, 200);
      await response.body?.cancel();
      await browser.waitFor(`${tileState("tts")} === "OPEN"`);
      assert.equal(
        await browser.evaluate(tileColour("tts")),
        "rgb(200, 30, 30)",
      );
      assert.match(
        await browser.evaluate<string>(
          `document.querySelector('.tile[data-service="tts"] .trial').textContent`,
        ),
        /^held open by an operator/,
        "the OPEN tile says what ends it",
      );
      assert.equal(
        await browser.evaluate(tileColour("llm")),
        "rgb(22, 130, 64)",
      );
      assert.match(
        await browser.evaluate<string>(
          `document.getElementById("meta").textContent`,
        ),
        /not ready: tts circuit breaker is OPEN/,
      );
    } finally {
      await server.shutdown();
    }
  },
});

Deno.test({
  name: nameUnless(
    "the dashboard in headless Chromium says which provider the voice is on when its primary is forced open",
    noChromium,
  ),
  ignore: !haveChromium,
  fn: async () => {
    const t = testAgent({ fallbacks: { tts: { "backup-voice": {} } } }, {
      services: { tts: { fallbacks: [{ name: "backup-voice", kind: "mock" }] } },
    });
    await using _ = t.agent;
    using status = createStatusApp({ agent: t.agent, clock: systemClock, version: "test" });
    const server = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen: () => {} },
      status.fetch,
    );
    try {
      await using browser = await HeadlessChromium.launch(chromiumPath);
      await browser.navigate(`http://127.0.0.1:${server.addr.port}/`);
      const active = `document.querySelector('[data-role="tts"]')?.dataset.active`;
      await browser.waitFor(`${active} === "tts"`);
      t.agent.breakers.get("tts").forceOpen();
      await browser.waitFor(`${active} === "backup-voice"`);
      assert.match(
        await browser.evaluate<string>(`document.getElementById("chains").textContent`),
        /voice: on backup-voice \(fallback\)/,
      );
      assert.equal(await browser.evaluate(tileState("backup-voice")), "CLOSED");
      assert.equal(await browser.evaluate(tileState("tts")), "OPEN");
    } finally {
      await server.shutdown();
    }
  },
});
