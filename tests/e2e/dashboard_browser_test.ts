import assert from "node:assert/strict";
import { nameUnless } from "../_support/skip.ts";
import { systemClock } from "../../src/clock/mod.ts";
import { createStatusApp } from "../../src/server/mod.ts";
import { testAgent } from "../_support/agent.ts";
import { HeadlessChromium } from "../_support/headless_chromium.ts";
import { outage, runScriptedOutage } from "../_support/scripted_outage.ts";

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

Deno.test({
  name: nameUnless(
    "the dashboard in headless Chromium draws a scripted outage: the voice's band has a segment per breaker change, the campaign's bars its outcomes",
    noChromium,
  ),
  ignore: !haveChromium,
  fn: async () => {
    const { t, app } = await runScriptedOutage();
    await using _ = t.agent;
    using status = app;
    const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, status.fetch);
    try {
      await using browser = await HeadlessChromium.launch(chromiumPath);
      await browser.navigate(`http://127.0.0.1:${server.addr.port}/`);
      const segments = (service: string) =>
        browser.evaluate<{ state: string; x: number; width: number }[]>(
          `[...document.querySelectorAll('tr[data-service="${service}"] rect.seg')].map((r) => ({ state: r.dataset.state, x: +r.getAttribute("x"), width: +r.getAttribute("width") }))`,
        );
      await browser.waitFor(
        `document.querySelectorAll('tr[data-service="tts"] rect.seg').length > 0`,
      );

      // The voice's band: one segment per state it was in, in order, where it was in it.
      const changes = t.events.flatMap((e) =>
        e.type === "breaker" && e.service === "tts" ? [{ t: e.t, to: e.to }] : []
      );
      assert.ok(changes.some((c) => c.to === "OPEN"), "the outage opened the voice's breaker");
      const tts = await segments("tts");
      assert.deepEqual(tts.map((s) => s.state), ["CLOSED", ...changes.map((c) => c.to)]);
      const width = 320;
      const end = t.clock.now() - t.agent.startedAt;
      for (const [i, change] of changes.entries()) {
        const x = tts[i + 1].x;
        assert.ok(Math.abs(x - change.t / end * width) <= 1, `segment ${i + 1} at ${x}`);
      }
      const firstOpen = changes.find((c) => c.to === "OPEN")!;
      assert.ok(firstOpen.t >= outage.fromMs, "opened once the outage began");
      assert.ok(
        Math.abs(tts.reduce((sum, s) => sum + s.width, 0) - width) <= 2,
        "the band fills the hour",
      );
      // A service the outage did not touch: one closed band, the whole width.
      assert.deepEqual((await segments("llm")).map((s) => s.state), ["CLOSED"]);

      // The campaign's bars add up to its outcomes; the voice's attempts show its failures.
      const summed = (selector: string) =>
        browser.evaluate<number>(
          `[...document.querySelectorAll('${selector}')].reduce((n, r) => n + +r.dataset.count, 0)`,
        );
      const done = (status: string) =>
        t.events.filter((e) => e.type === "contact-done" && e.status === status).length;
      assert.equal(await summed("#campaign-chart rect.bar-completed"), outage.contacts);
      assert.equal(await summed("#campaign-chart rect.bar-deferred"), done("deferred"));
      assert.ok(done("deferred") > 0, "contacts waited during the outage");
      const failedAttempts = t.events.filter((e) =>
        e.type === "attempt" && e.service === "tts" && e.outcome !== "success"
      ).length;
      assert.equal(
        await summed('tr[data-service="tts"] td.outcomes rect.bar-failed'),
        failedAttempts,
      );
      assert.ok(
        await browser.evaluate<boolean>(
          `document.querySelector('tr[data-service="tts"] polyline.p95').getAttribute("points").length > 0`,
        ),
        "the latency lines are drawn",
      );
      assert.match(
        await browser.evaluate<string>(`document.getElementById("attention").textContent`),
        /^All well/,
        "once it recovered, nothing needs attention",
      );
    } finally {
      await server.shutdown();
    }
  },
});
