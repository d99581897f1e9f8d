/**
 * A script is checked before its voice is paid for: a rejected one is asked for again once from
 * the same provider, then from the next provider of the chain; only then does the contact fail
 * as `script-rejected`. Counted at the mocks, per contact, on the virtual clock.
 */
import assert from "node:assert/strict";
import type { Contact } from "../../src/domain/mod.ts";
import type { CallScript, LlmService, MockTts } from "../../src/services/mod.ts";
import { logToSheets } from "../../src/agent/mod.ts";
import { AgentMetrics } from "../../src/server/agent_metrics.ts";
import type { SheetRow } from "../../src/sheets/mod.ts";
import { eventsOfType } from "../_support/events_of_type.ts";
import { contacts, testAgent } from "../_support/agent.ts";

const good = (contact: Contact): CallScript => ({
  text: `Hello ${contact.name}, this is Alex from Acme about Friday. Can you make it?`,
  finishReason: "stop",
});

/** What each contact's model answers, per ask: the `n`-th script (the last one repeats). */
type Answers = Record<string, (contact: Contact) => CallScript>;

/** Makes `llm` answer `answers[contact.id]` in turn; counts its scripts per contact. */
function scripted(llm: LlmService, answers: Record<string, ((c: Contact) => CallScript)[]>) {
  const asked = new Map<string, number>();
  llm.writeScript = (contact) => {
    const n = asked.get(contact.id) ?? 0;
    asked.set(contact.id, n + 1);
    const list = answers[contact.id] ?? [good];
    return Promise.resolve(list[Math.min(n, list.length - 1)](contact));
  };
  return asked;
}

/** Voices made, per contact (the script names the contact). */
function voicedFor(tts: MockTts) {
  const voiced = new Map<string, number>();
  const synthesize = tts.synthesize.bind(tts);
  tts.synthesize = (script, options) => {
    const name = /Hello (Contact \d+)/.exec(script.text)?.[1] ?? script.text;
    voiced.set(name, (voiced.get(name) ?? 0) + 1);
    return synthesize(script, options);
  };
  return voiced;
}

const cut: Answers[string] = () => ({ text: "Hello, this is Alex from", finishReason: "length" });
const empty: Answers[string] = () => ({ text: "", finishReason: "stop" });
const refusal: Answers[string] = () => ({ text: "I can't help with that.", finishReason: "stop" });
const placeholder: Answers[string] = (c) => ({
  text: `Hello ${c.name}, this is [Your Name] from Acme.`,
  finishReason: "stop",
});

Deno.test("with a fallback: each bad script is asked again once, then the fallback writes it; no voice is paid for a bad one", async () => {
  const t = testAgent({ fallbacks: { llm: { claude: {} } } }, {
    services: { llm: { fallbacks: [{ name: "claude", kind: "mock" }] } },
  });
  await using _ = t.agent;
  const [claude] = t.services.fallbacks.llm;
  const primary = scripted(t.services.llm, {
    c1: [cut],
    c2: [empty],
    c3: [refusal],
    c4: [placeholder, good], // asked again, the second is good
    c5: [good],
  });
  const fallback = scripted(claude, {});
  const voiced = voicedFor(t.services.tts);
  const rows: SheetRow[] = [];
  const subscriptions = logToSheets(t.agent, {
    append: (row) => rows.push(row),
    onEvent: () => ({ [Symbol.dispose]() {} }),
  }, () => t.clock.now());
  using metrics = new AgentMetrics(t.agent);
  const { summary, records } = await t.runCampaign(contacts(5));
  for (const subscription of subscriptions) subscription[Symbol.dispose]();

  assert.deepEqual([summary.completed, summary.failed], [5, 0]);
  assert.deepEqual(Object.fromEntries(primary), { c1: 2, c2: 2, c3: 2, c4: 2, c5: 1 });
  assert.deepEqual(Object.fromEntries(fallback), { c1: 1, c2: 1, c3: 1 });
  for (const [id, record] of records) {
    assert.equal(voiced.get(record.contact.name), 1, `${id}: one voice, for the good script`);
    assert.match(record.outputs.script!, /^Hello Contact \d, this is Alex from Acme/);
  }
  assert.deepEqual(records.get("c1")!.outputs.scriptRejections, { unfinished: 2 });
  assert.deepEqual(records.get("c3")!.outputs.scriptRejections, { refusal: 2 });
  assert.deepEqual(records.get("c4")!.outputs.scriptRejections, { placeholder: 1 });
  assert.equal(records.get("c5")!.outputs.scriptRejections, undefined, "the good one unchanged");
  assert.equal(records.get("c1")!.outputs.scriptBy?.provider, "claude");
  assert.equal(records.get("c4")!.outputs.scriptBy?.provider, "llm");
  assert.deepEqual(records.get("c1")!.attempts.llm, 3, "each script asked for is an attempt");

  const rejected = eventsOfType(t.events, "script-rejected");
  assert.deepEqual(
    rejected.filter((e) => e.contactId === "c2").map((e) => `${e.provider}:${e.rule}:${e.asked}`),
    ["llm:empty:1", "llm:empty:2"],
  );
  const moves = t.events.filter((e) => e.type === "fallback" && e.contactId === "c2");
  assert.equal(moves.length, 1, "one move to the fallback");

  // Per rule in the Sheets row and in /metrics.
  const row = (id: string) => rows.find((r) => r.contactId === id)!;
  assert.match(row("c1").detail, /script by fallback claude; scripts rejected: unfinished 2/);
  assert.equal(row("c4").detail, "scripts rejected: placeholder 1");
  assert.equal(row("c5").detail, "");
  const text = metrics.render();
  assert.match(text, /ai_call_agent_scripts_rejected_total\{provider="llm",rule="unfinished"\} 2/);
  assert.match(text, /ai_call_agent_scripts_rejected_total\{provider="llm",rule="placeholder"\} 1/);
  assert.match(text, /ai_call_agent_scripts_rejected_total\{provider="llm",rule="refusal"\} 2/);
});

Deno.test("without a fallback: two bad scripts and the contact fails as script-rejected, naming the rule, with no voice or call", async () => {
  const t = testAgent();
  await using _ = t.agent;
  const asked = scripted(t.services.llm, { c1: [placeholder], c2: [cut, refusal] });
  const voiced = voicedFor(t.services.tts);
  const { summary, records } = await t.runCampaign(contacts(3));
  assert.deepEqual([summary.completed, summary.failed], [1, 2]);
  assert.deepEqual(Object.fromEntries(asked), { c1: 2, c2: 2, c3: 1 });
  assert.deepEqual([...voiced.keys()], ["Contact 3"]);
  assert.equal(t.services.telephony.calls.size, 1, "only the good one was called");
  const c1 = records.get("c1")!;
  assert.equal(c1.state, "failed");
  assert.match(
    c1.reason!,
    /^script-rejected at llm: ScriptRejected: no script passed the checks, so none was voiced or called \(rejected: placeholder 2\); the last: llm: placeholder: an unfilled placeholder \[Your Name\]/,
  );
  assert.match(records.get("c2")!.reason!, /\(rejected: unfinished 1, refusal 1\)/);
  // A failed contact's error alert says why.
  await t.agent.alerts.flush();
  assert.ok(t.alerts.sent.some((a) => a.key === "contact-failed:c1"));
});

Deno.test("a rule turned off lets its scripts through: an unfilled placeholder is voiced when the operator says so", async () => {
  const t = testAgent({}, { script: { reject: { placeholder: false } } });
  await using _ = t.agent;
  const asked = scripted(t.services.llm, { c1: [placeholder] });
  const { summary, records } = await t.runCampaign(contacts(1));
  assert.equal(summary.completed, 1);
  assert.equal(asked.get("c1"), 1);
  assert.match(records.get("c1")!.outputs.script!, /\[Your Name\]/);
});

Deno.test("a script over script.maxCharacters is rejected as tooLong", async () => {
  const t = testAgent({}, { script: { maxCharacters: 40 } });
  await using _ = t.agent;
  scripted(t.services.llm, {});
  const { records } = await t.runCampaign(contacts(1));
  assert.match(records.get("c1")!.reason!, /tooLong 2.*more than script\.maxCharacters \(40\)/);
});
