import assert from "node:assert/strict";
import { nameUnless } from "../_support/skip.ts";
import { createStatusApp } from "../../src/server/mod.ts";
import { contacts, testAgent } from "../_support/agent.ts";

const promtool = await (async () => {
  try {
    const { success } = await new Deno.Command("promtool", {
      args: ["--version"],
      stdout: "null",
      stderr: "null",
    }).output();
    return success;
  } catch {
    return false;
  }
})();

Deno.test({
  name: nameUnless(
    "GET /metrics passes promtool check metrics",
    promtool
      ? undefined
      : "promtool is not installed (Debian package prometheus; .ci/run installs it)",
  ),
  ignore: !promtool,
  fn: async () => {
    const t = testAgent({
      tts: { faults: [{ fail: "unavailable", calls: 4 }] },
    }, {
      processor: { concurrency: 1 },
    });
    await using _ = t.agent;
    using status = createStatusApp({
      agent: t.agent,
      clock: t.clock,
      version: "1",
    });
    await t.runCampaign(contacts(5));
    const text = await (await status.app.request("/metrics")).text();
    const child = new Deno.Command("promtool", {
      args: ["check", "metrics"],
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(text));
    await writer.close();
    const { code, stdout, stderr } = await child.output();
    const output = new TextDecoder().decode(stdout) +
      new TextDecoder().decode(stderr);
    assert.equal(code, 0, output);
    assert.match(text, /ai_call_agent_retries_total\{service="tts"\} [1-9]/);
  },
});
