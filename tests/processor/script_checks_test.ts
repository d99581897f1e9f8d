/**
 * The checks a script passes before its voice is paid for, row by row: each rule catches what
 * it names and lets a good script through; each can be turned off; the first rule broken, in
 * order, names the rejection.
 */
import assert from "node:assert/strict";
import { defaultConfig } from "../../config/defaults.ts";
import { checkScript, type ScriptChecks } from "../../src/processor/script_checks.ts";
import type { CallScript } from "../../src/services/mod.ts";

const checks: ScriptChecks = defaultConfig.script;

const good =
  "Hello Sam, this is Alex from Acme calling about your appointment on Friday at 3 pm. Can you still make it?";

const rows: { name: string; script: CallScript; rule?: string; detail?: RegExp }[] = [
  {
    name: "a finished script of the right length passes",
    script: { text: good, finishReason: "stop" },
  },
  {
    name: "Anthropic's end_turn and stop_sequence are finished",
    script: { text: good, finishReason: "end_turn" },
  },
  { name: "stop_sequence is finished", script: { text: good, finishReason: "stop_sequence" } },
  { name: "a provider that gives no stop reason is not held to one", script: { text: good } },
  {
    name: "cut at the token limit (OpenAI length)",
    script: {
      text: "Hello Sam, this is Alex from Acme calling about your",
      finishReason: "length",
    },
    rule: "unfinished",
    detail: /cut off at the model's token limit \(stop reason length\)/,
  },
  {
    name: "cut at the token limit (Anthropic max_tokens)",
    script: { text: good, finishReason: "max_tokens" },
    rule: "unfinished",
    detail: /max_tokens/,
  },
  {
    name: "stopped to call a tool",
    script: { text: good, finishReason: "tool_calls" },
    rule: "unfinished",
    detail: /did not finish \(stop reason tool_calls\)/,
  },
  { name: "an empty answer", script: { text: "", finishReason: "stop" }, rule: "empty" },
  { name: "only white space", script: { text: "  \n ", finishReason: "stop" }, rule: "empty" },
  {
    name: "an empty answer cut at the limit is empty first",
    script: { text: "", finishReason: "length" },
    rule: "empty",
    detail: /stop reason length/,
  },
  {
    name: "OpenAI's refusal field",
    script: { text: "", finishReason: "stop", refusal: "I'm sorry, I can't assist with that." },
    rule: "refusal",
    detail: /the model refused: "I'm sorry, I can't assist with that\."/,
  },
  {
    name: "a content filter",
    script: { text: good, finishReason: "content_filter" },
    rule: "refusal",
    detail: /stop reason content_filter/,
  },
  {
    name: "Anthropic's refusal stop reason",
    script: { text: "I", finishReason: "refusal" },
    rule: "refusal",
  },
  {
    name: "a refusal in words",
    script: { text: "I can't help with that.", finishReason: "stop" },
    rule: "refusal",
  },
  {
    name: "an apology that declines",
    script: {
      text: "I'm sorry, but I cannot write a call script for that request.",
      finishReason: "stop",
    },
    rule: "refusal",
  },
  {
    name: "a curly apostrophe declines too",
    script: { text: "Sorry, I can’t do that.", finishReason: "stop" },
    rule: "refusal",
  },
  {
    name: "the language model's disclaimer",
    script: { text: "As an AI language model, I do not make phone calls.", finishReason: "stop" },
    rule: "refusal",
  },
  {
    name: "a script that says an AI assistant is calling is not a refusal",
    script: {
      text:
        "Hi Sam, I'm an AI assistant calling for Acme about Friday's appointment. Can you make it?",
      finishReason: "stop",
    },
  },
  {
    name: "an apology that does not decline is not a refusal",
    script: { text: "Sorry to bother you, Sam: this is Acme about Friday. Is 3 pm still good?" },
  },
  {
    name: "[Your Name]",
    script: { text: "Hello Sam, this is [Your Name] from Acme.", finishReason: "stop" },
    rule: "placeholder",
    detail: /\[Your Name\]/,
  },
  {
    name: "{company}",
    script: { text: "Hello Sam, this is Alex from {company}.", finishReason: "stop" },
    rule: "placeholder",
    detail: /\{company\}/,
  },
  {
    name: "{{date}}",
    script: { text: "Your appointment is on {{date}}.", finishReason: "stop" },
    rule: "placeholder",
    detail: /\{\{date\}\}/,
  },
  {
    name: "<date>",
    script: { text: "Your appointment is on <date> at 3 pm.", finishReason: "stop" },
    rule: "placeholder",
    detail: /<date>/,
  },
  {
    name: "a blank to fill",
    script: { text: "Your appointment is on ____ at 3 pm.", finishReason: "stop" },
    rule: "placeholder",
  },
  {
    name: "an SSML tag with attributes is not a placeholder",
    script: { text: 'Hello Sam. <break time="1s"/> This is Acme.', finishReason: "stop" },
  },
  {
    name: "longer than script.maxCharacters",
    script: { text: "a".repeat(451), finishReason: "stop" },
    rule: "tooLong",
    detail: /451 characters, more than script.maxCharacters \(450\)/,
  },
  {
    name: "exactly script.maxCharacters passes",
    script: { text: "a".repeat(450), finishReason: "stop" },
  },
  {
    name: "a refusal comes before the stop reason that cut it",
    script: { text: "I cannot help with", finishReason: "length" },
    rule: "refusal",
  },
];

for (const row of rows) {
  Deno.test(`script checks: ${row.name}`, () => {
    const rejection = checkScript(row.script, checks);
    assert.equal(rejection?.rule, row.rule, JSON.stringify(rejection));
    if (row.detail) assert.match(rejection!.detail, row.detail);
  });
}

Deno.test("script checks: each rule can be turned off, and then what it would catch passes it", () => {
  for (const row of rows.filter((r) => r.rule)) {
    const rule = row.rule as keyof ScriptChecks["reject"];
    const without = { ...checks, reject: { ...checks.reject, [rule]: false } };
    assert.notEqual(checkScript(row.script, without)?.rule, rule, row.name);
  }
  const none = {
    ...checks,
    reject: { unfinished: false, empty: false, refusal: false, placeholder: false, tooLong: false },
  };
  for (const row of rows) assert.equal(checkScript(row.script, none), undefined, row.name);
});

Deno.test("script checks: a refusal's text is cut to a short excerpt on one line", () => {
  const long = `I'm sorry, but I can't help with this.\n${"x".repeat(200)}`;
  const rejection = checkScript({ text: long, finishReason: "stop" }, checks);
  assert.equal(rejection?.rule, "refusal");
  assert.ok(rejection!.detail.length < 100, rejection!.detail);
  assert.doesNotMatch(rejection!.detail, /\n/);
});
