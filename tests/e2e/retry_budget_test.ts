/**
 * The retry budget as a user runs it: 50 workers calling a provider that fails every request,
 * counted at the fake. Without the budget each call would be tried four times.
 */
import assert from "node:assert/strict";
import { startFakeOpenAi, startFakeWebhookCrm } from "../../src/fake_providers/mod.ts";
import { contactRows, runWorkspace } from "../_support/run_workspace.ts";
import { finished, spawnMain } from "../_support/spawn_main.ts";

Deno.test("50 workers against a provider failing every request: retries stay within the budget's share of first attempts, and no contact fails", async () => {
  const contacts = 200;
  const budget = { ratio: 0.2, windowMs: 10_000, minPerSecond: 1 };
  await using llm = startFakeOpenAi({ apiKey: "llm-key", faults: [{ fail: "unavailable" }] });
  await using crm = startFakeWebhookCrm({ apiKey: "crm-key" });
  await using ws = await runWorkspace({
    prefix: "retry-budget-",
    rows: contactRows(contacts),
    config: {
      processor: { concurrency: 50, recoveryWaitMs: 300 },
      retry: { maxRetries: 3, initialDelayMs: 20, maxDelayMs: 80, jitterMs: 10 },
      retryBudget: budget,
      // The breaker never opens here: the budget alone holds the retries back.
      breaker: { failureThreshold: 100_000, recoveryTimeoutMs: 600_000 },
      health: { intervalMs: 600_000, timeoutMs: 1_000 },
      services: {
        llm: {
          kind: "openai",
          maxInFlight: 50,
          openai: { baseUrl: llm.baseUrl, apiKeyEnv: "T_LLM" },
        },
        crm: { kind: "webhook", webhook: { url: `${crm.url}/outcomes`, tokenEnv: "T_CRM" } },
      },
    },
  });
  const done = await finished(spawnMain(
    ws.args(),
    ws.at({ env: { T_LLM: "llm-key", T_CRM: "crm-key" } }),
  ));
  assert.equal(done.code, 1, done.stderr);
  assert.match(
    done.stdout + done.stderr,
    new RegExp(`0 completed, 0 failed, ${contacts} deferred`),
  );
  const requests = llm.requests.filter((r) => r.path === "/v1/chat/completions");
  const people = new Set(
    requests.map((r) => /Person \d+/.exec(JSON.stringify(r.body))?.[0] ?? "?"),
  );
  const firsts = people.size;
  const retries = requests.length - firsts;
  assert.equal(firsts, contacts, "each contact's script was asked for once");
  const window = requests.at(-1)!.at - requests[0].at;
  assert.ok(window < budget.windowMs, `the run's requests span ${window} ms, within one window`);
  const allowed = budget.ratio * firsts + budget.minPerSecond * (budget.windowMs / 1_000);
  assert.ok(
    retries <= allowed,
    `${retries} retries for ${firsts} first attempts (allowed ${allowed})`,
  );
  assert.ok(retries > 0, "the budget lets some retries through");
  const log = await Deno.readTextFile(`${ws.dir}/logs/agent.jsonl`);
  assert.match(log, /retry budget is spent/, "the give-up says why");
});
