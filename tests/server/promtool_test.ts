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

const rules = new URL("../../config/prometheus/", import.meta.url).pathname;

async function promtoolRun(args: string[]): Promise<{ code: number; output: string }> {
  const { code, stdout, stderr } = await new Deno.Command("promtool", {
    args,
    cwd: rules,
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { code, output: new TextDecoder().decode(stdout) + new TextDecoder().decode(stderr) };
}

Deno.test({
  name: nameUnless(
    "the shipped Prometheus rules pass promtool check rules and their promtool unit tests",
    promtool
      ? undefined
      : "promtool is not installed (Debian package prometheus; .ci/run installs it)",
  ),
  ignore: !promtool,
  fn: async () => {
    const check = await promtoolRun(["check", "rules", "rules.yml"]);
    assert.equal(check.code, 0, check.output);
    const unit = await promtoolRun(["test", "rules", "rules_test.yml"]);
    assert.equal(unit.code, 0, unit.output);
    const rulesText = await Deno.readTextFile(`${rules}rules.yml`);
    const tested = await Deno.readTextFile(`${rules}rules_test.yml`);
    for (const [, alert] of rulesText.matchAll(/- alert: (\w+)/g)) {
      assert.match(tested, new RegExp(`alertname: ${alert}\\b`), `${alert} has no unit test`);
    }
  },
});

Deno.test("the shipped Prometheus rules name only metrics the agent exports", async () => {
  const t = testAgent({}, { processor: { concurrency: 1 } });
  await using _ = t.agent;
  using status = createStatusApp({ agent: t.agent, clock: t.clock, version: "1" });
  await t.runCampaign(contacts(2));
  const exported = new Set(
    [...(await (await status.app.request("/metrics")).text()).matchAll(/^# TYPE (\w+)/gm)]
      .map(([, name]) => name),
  );
  const rulesText = await Deno.readTextFile(`${rules}rules.yml`);
  const named = new Set([...rulesText.matchAll(/\b(ai_call_agent_\w+)/g)].map(([, name]) => name));
  assert.ok(named.size >= 4, [...named].join(" "));
  assert.deepEqual([...named].filter((name) => !exported.has(name)), []);
});
